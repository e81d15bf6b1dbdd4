/** What every setting says of itself: where it is read from and what it allows. */
interface SettingBase<Value> {
  /** The environment variable, for example `SHERPA_PORT`. */
  env: string;
  /** The flag without its dashes, for example `port` for `--port`. */
  flag: string;
  /** What the setting does, for `--help` and the README. */
  description: string;
  /** The value of a text; undefined when the text is not allowed. */
  parse: (text: string) => Value | undefined;
  /** What `parse` allows, for the message about a bad value. */
  allowed: string;
  /** A secret: a bad value is not repeated in the message. */
  secret?: boolean;
}

/**
 * One setting: its flag, its environment variable, its default text and how a
 * text becomes its value. A default that depends on something else (the
 * machine, a setting read before) is a function of `Context`, and then says
 * how `--help` shows it.
 */
export type Setting<Value, Context = undefined> = SettingBase<Value> &
  (
    | { defaultValue: string; defaultText?: string }
    | { defaultValue: (context: Context) => string; defaultText: string }
  );

/**
 * Every setting of a configuration `Config`, by its key, in the order they are
 * read (and listed by `--help`). Each parser must return its key's type, and
 * each key must have a setting: a table that breaks either fails the type check.
 */
export type SettingsTable<Config, Context = undefined> = {
  readonly [Key in keyof Config]-?: Setting<Config[Key], Context>;
};
