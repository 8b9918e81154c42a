import type { Command } from 'commander';

/**
 * One help style for every command, including those other packages define: descriptions as
 * paragraphs that commander wraps to the terminal (never hard-wrapped mid-sentence), a one-line
 * summary in the command list, and defaults always written `(default: X)`.
 */
export function applyHelpStyle(command: Command, summaries: Readonly<Record<string, string>>): void {
  const description = unwrap(command.description());
  command.description(description);
  const summary = command.summary() || summaries[command.name()] || firstSentence(description);
  command.summary(capitalise(summary));
  for (const option of command.options) {
    option.description = defaultStyle(unwrap(option.description ?? ''));
    // commander quotes string defaults ("127.0.0.1") and not numbers: one style for both.
    if (typeof option.defaultValue === 'string' && option.defaultValueDescription === undefined) {
      option.defaultValueDescription = option.defaultValue;
    }
  }
  for (const argument of command.registeredArguments) {
    argument.description = defaultStyle(unwrap(argument.description));
  }
  for (const sub of command.commands) applyHelpStyle(sub, summaries);
}

/** Single line breaks joined into spaces; blank lines (paragraphs) kept. */
function unwrap(text: string): string {
  return text
    .split(/\n{2,}/)
    .map((paragraph) => paragraph.replace(/\s*\n\s*/g, ' '))
    .join('\n\n');
}

/**
 * `(default 50)` and `...; default: X` → `(default: X)`, the way commander prints the defaults it
 * knows.
 */
function defaultStyle(text: string): string {
  return text.replace(/\(default (?!: )/g, '(default: ').replace(/; default: (.*)$/, ' (default: $1)');
}

/** The first sentence, for the command list (the full description stays in the command's help). */
function firstSentence(text: string): string {
  const end = text.search(/\.(\s|$)/);
  return end === -1 ? text : text.slice(0, end);
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
