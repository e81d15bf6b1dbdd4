export type { HealthStatus } from "./health/health-status.js";
export { createHealthStatus } from "./health/health-status.js";
export { createHealthService } from "./health/health-service.js";
export type { ReflectionServices } from "./reflection/reflection-services.js";
export { createReflectionServices } from "./reflection/reflection-services.js";
