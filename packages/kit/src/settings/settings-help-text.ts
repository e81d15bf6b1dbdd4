import type { SettingsTable } from "./setting.js";

/** How {@link settingsHelpText} writes the help. */
export interface SettingsHelpTextOptions {
  /** What comes before the flags: the usage line and what the program does. */
  intro: string;
  /** Shows a default text; the text itself unless set. A setting's `defaultText` wins. */
  formatDefault?: (text: string) => string;
}

/**
 * The `--help` text of a program configured by `table`: the intro, then each
 * flag with its description, environment variable and default, then `--help`.
 */
export function settingsHelpText<Config, Context>(
  table: SettingsTable<Config, Context>,
  options: SettingsHelpTextOptions,
): string {
  const formatDefault = options.formatDefault ?? ((text: string) => text);
  const lines = Object.keys(table).map((key) => {
    const setting = table[key as keyof Config];
    const defaultText =
      setting.defaultText ??
      (typeof setting.defaultValue === "string" ? formatDefault(setting.defaultValue) : "");
    return `  --${setting.flag} <value>\n      ${setting.description}\n      env ${setting.env}, default ${defaultText}`;
  });
  return `${options.intro}\n\nFlags:\n${lines.join("\n")}\n  -h, --help\n      Show this help.\n`;
}
