import { defineCommand } from "../core/command.ts";
import { UsageError } from "../core/errors.ts";
import { findCommand, type Registry } from "../core/registry.ts";

const SHELLS = ["bash", "zsh", "fish"] as const;

type Shell = typeof SHELLS[number];

// The scripts ask the program for the words (`completion --words <command>`) on every completion,
// so they never go stale as apps add commands. The words come from the registry's data alone: no
// command module is loaded, which keeps a completion fast and working while a command is broken.

/** The command names when `command` is empty, else its subcommands and option flags. */
function wordsFor(registry: Registry, command: string): string[] {
  if (command === "") return registry.commands.map((entry) => entry.name).sort();
  const entry = findCommand(registry, command);
  if (!entry) return [];
  return [...(entry.subcommands ?? []), ...entry.flags];
}

function bashScript(prog: string, fn: string): string {
  return `# ${prog} completion for bash. Enable it with, in ~/.bashrc:
#   eval "$(${prog} completion bash)"
${fn}() {
    local cur="\${COMP_WORDS[COMP_CWORD]}" command="" word
    local -a words=()
    if (( COMP_CWORD > 1 )); then
        command="\${COMP_WORDS[1]}"
    fi
    while IFS= read -r word; do
        # Option flags when the word being completed starts with a dash, other words otherwise.
        if [[ $cur == -* ]]; then
            [[ $word == -* ]] && words+=("$word")
        else
            [[ -n $word && $word != -* ]] && words+=("$word")
        fi
    done < <(${prog} completion --words="$command" 2>/dev/null)
    COMPREPLY=($(compgen -W "\${words[*]}" -- "$cur"))
}
complete -o default -F ${fn} ${prog}
`;
}

function zshScript(prog: string, fn: string): string {
  return `#compdef ${prog}
# ${prog} completion for zsh. Enable it with, in ~/.zshrc after compinit:
#   eval "$(${prog} completion zsh)"
${fn}() {
    local command=""
    if (( CURRENT > 2 )); then
        command="\${words[2]}"
    fi
    local -a all flags others
    all=("\${(@f)$(${prog} completion --words="$command" 2>/dev/null)}")
    flags=("\${(@M)all:#-*}")
    others=("\${(@)all:#-*}")
    others=("\${(@)others:#}")
    if [[ $PREFIX == -* ]]; then
        compadd -a flags
    elif (( \${#others} )); then
        compadd -a others
    else
        _files
    fi
}
compdef ${fn} ${prog}
`;
}

function fishScript(prog: string, fn: string): string {
  return `# ${prog} completion for fish. Enable it with, in ~/.config/fish/config.fish:
#   ${prog} completion fish | source
function ${fn}
    set -l tokens (commandline -opc)
    set -l current (commandline -ct)
    set -l want_flags no
    string match -q -- '-*' "$current"; and set want_flags yes
    for word in (${prog} completion --words="$tokens[2]" 2>/dev/null)
        set -l is_flag no
        string match -q -- '-*' "$word"; and set is_flag yes
        test -n "$word"; and test $is_flag = $want_flags; and echo $word
    end
end
function ${fn}_first
    test (count (commandline -opc)) -eq 1
end
complete -c ${prog} -f -n ${fn}_first -a '(${fn})'
complete -c ${prog} -n 'not ${fn}_first' -a '(${fn})'
`;
}

const SCRIPTS: Record<Shell, (prog: string, fn: string) => string> = {
  bash: bashScript,
  zsh: zshScript,
  fish: fishScript,
};

export default defineCommand({
  help: "Prints a shell completion script for bash, zsh or fish",
  // Its script is for the shell of whoever types it.
  runFrom: ["cli"],
  epilog: 'bash: add eval "$(manage completion bash)" to ~/.bashrc.\n\n' +
    'zsh: add eval "$(manage completion zsh)" to ~/.zshrc, after compinit.\n\n' +
    "fish: add manage completion fish | source to ~/.config/fish/config.fish.",
  arguments: {
    shell: { nargs: "?", choices: SHELLS, help: "the shell to complete in" },
  },
  options: {
    words: {
      hidden: true,
      metavar: "COMMAND",
      help: "print the words that complete after COMMAND, one per line: the command names " +
        "when COMMAND is empty (the scripts call this)",
    },
  },
  handle({ options, stdout, registry, prog, name }) {
    if (options.words !== undefined) {
      for (const word of wordsFor(registry, options.words)) stdout.write(word);
      return;
    }
    if (options.shell === undefined) {
      throw new UsageError("the following arguments are required: shell", name);
    }
    const fn = `_${prog.replace(/\W/g, "_")}_completion`;
    stdout.write(SCRIPTS[options.shell](prog, fn), { ending: "" });
  },
});
