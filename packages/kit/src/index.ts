export type { AsyncQueue } from "./async-queue.js";
export { createAsyncQueue } from "./async-queue.js";
export type { LabelList } from "./parse-labels.js";
export {
  labelCountProblem,
  labelListAllowed,
  labelProblem,
  maxLabelCount,
  maxLabelValueLength,
  parseLabels,
  readLabelList,
} from "./parse-labels.js";
export type { LoadedSettings, LoadSettingsOptions } from "./settings/load-settings.js";
export { loadSettings } from "./settings/load-settings.js";
export type { Setting, SettingsTable } from "./settings/setting.js";
export type { SettingsHelpTextOptions } from "./settings/settings-help-text.js";
export { settingsHelpText } from "./settings/settings-help-text.js";
