/** Name of the queue SubmitTask uses when the request names none; created on first start. */
export const defaultQueueName = "default";

/** Name of the resource group selecting every node; created on first start for the default queue. */
export const defaultResourceGroupName = "all-nodes";
