import type { Command } from "../command.js";
import { gpusListCommand } from "./gpus-list-command.js";
import { loginCommand } from "./login-command.js";
import { nodesCordonCommand, nodesUncordonCommand } from "./nodes-cordon-command.js";
import { nodesJoinTokenCreateCommand } from "./nodes-join-token-create-command.js";
import { nodesListCommand } from "./nodes-list-command.js";
import { nodesRevokeCredentialCommand } from "./nodes-revoke-credential-command.js";
import { queuesCreateCommand } from "./queues-create-command.js";
import { queuesGetCommand } from "./queues-get-command.js";
import { queuesListCommand } from "./queues-list-command.js";
import { tasksCancelCommand } from "./tasks-cancel-command.js";
import { tasksGetCommand } from "./tasks-get-command.js";
import { tasksListCommand } from "./tasks-list-command.js";
import { tasksLogsCommand } from "./tasks-logs-command.js";
import { tasksSubmitCommand } from "./tasks-submit-command.js";
import { tasksWatchCommand } from "./tasks-watch-command.js";
import { tokensCreateCommand } from "./tokens-create-command.js";
import { tokensListCommand } from "./tokens-list-command.js";
import { tokensRevokeCommand } from "./tokens-revoke-command.js";
import { whoamiCommand } from "./whoami-command.js";

/** Every `sherpa` command, in the order the help lists them. */
export const allCommands: readonly Command[] = [
  tasksSubmitCommand,
  tasksListCommand,
  tasksGetCommand,
  tasksCancelCommand,
  tasksLogsCommand,
  tasksWatchCommand,
  queuesListCommand,
  queuesGetCommand,
  queuesCreateCommand,
  nodesListCommand,
  nodesCordonCommand,
  nodesUncordonCommand,
  nodesJoinTokenCreateCommand,
  nodesRevokeCredentialCommand,
  gpusListCommand,
  tokensCreateCommand,
  tokensListCommand,
  tokensRevokeCommand,
  whoamiCommand,
  loginCommand,
];
