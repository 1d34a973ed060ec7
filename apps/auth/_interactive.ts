// The auth commands' questions: answers are required (the end of the input cancels), and an
// interrupted or cancelled run says so, as Django's createsuperuser does.

import type { CommandContext } from "../../core/command.ts";
import { CommandError } from "../../core/errors.ts";
import { prompter } from "../../core/prompt.ts";

/** Asks questions whose answers are required. */
export interface Questions {
  /** Writes `question` and reads the answer. */
  ask(question: string): Promise<string>;
  /** Writes `question` and reads the answer, typed unseen. */
  askSecret(question: string): Promise<string>;
}

function answered(answer: string | undefined): string {
  if (answer === undefined) throw new CommandError("\nOperation cancelled.", { bare: true });
  return answer;
}

/**
 * Runs `fn` with questions asked on the command's terminal; standard input is let go of
 * however it ends, and Ctrl-C prints "Operation cancelled." (the run then exits 130).
 */
export async function interactively<R>(
  ctx: CommandContext,
  fn: (questions: Questions) => Promise<R>,
): Promise<R> {
  const prompt = prompter(ctx);
  try {
    return await fn({
      ask: async (question) => answered(await prompt.ask(question)),
      askSecret: async (question) => answered(await prompt.askSecret(question)),
    });
  } catch (error) {
    if (ctx.signal.aborted) ctx.stderr.write("\nOperation cancelled.");
    throw error;
  } finally {
    prompt.release();
  }
}
