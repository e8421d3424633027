/**
 * Parsers of the two config syntaxes most network OSes write: indented CLI (IOS-XE, ASA, IOS XR;
 * a child line is indented deeper than its parent, `!`/`exit` close nothing the indentation did not
 * already close) and curly-brace hierarchies (Junos). Both give a tree of statements.
 */
import { parseError } from "./common.js";

export interface CliNode {
  line: string;
  /** 1-based line number in the file. */
  at: number;
  children: CliNode[];
}

/** Indented CLI -> statements with their sub-mode lines. */
export function parseIndented(file: string, content: string): CliNode[] {
  const root: CliNode = { line: "", at: 0, children: [] };
  const stack: { indent: number; node: CliNode }[] = [{ indent: -1, node: root }];
  content.split("\n").forEach((raw, i) => {
    const line = raw.replace(/\r$/, "");
    const body = line.trim();
    if (body === "" || body === "!" || body === "exit" || body === "end" || body.startsWith("!")) return;
    if (/[^\x20-\x7e]/.test(line)) throw parseError(file, i + 1, "printable ASCII only");
    const indent = line.length - line.trimStart().length;
    while (stack.length > 1 && stack[stack.length - 1]!.indent >= indent) stack.pop();
    const node: CliNode = { line: body, at: i + 1, children: [] };
    stack[stack.length - 1]!.node.children.push(node);
    stack.push({ indent, node });
  });
  return root.children;
}

/** Junos curly-brace configuration -> statements (`a b;`) and blocks (`a b { ... }`). */
export function parseBraces(file: string, content: string): CliNode[] {
  const root: CliNode = { line: "", at: 0, children: [] };
  const stack: CliNode[] = [root];
  let lineNo = 1;
  let token = "";
  let tokenAt = 1;
  let quoted = false;
  const flush = (end: string) => {
    const body = token.trim();
    token = "";
    if (end === "}") {
      if (body !== "") throw parseError(file, lineNo, `';' before '}' after "${body}"`);
      if (stack.length === 1) throw parseError(file, lineNo, "a '}' that closes an open block");
      stack.pop();
      return;
    }
    if (body === "") throw parseError(file, lineNo, `a statement before '${end}'`);
    const node: CliNode = { line: body, at: tokenAt, children: [] };
    stack[stack.length - 1]!.children.push(node);
    if (end === "{") stack.push(node);
  };
  for (let i = 0; i < content.length; i++) {
    const c = content[i]!;
    if (c === "\n") lineNo++;
    if (quoted) {
      token += c;
      if (c === '"') quoted = false;
      continue;
    }
    if (c === "#" && token.trim() === "") {
      // Junos comments run to the end of the line.
      while (i + 1 < content.length && content[i + 1] !== "\n") i++;
      continue;
    }
    if (c === '"') quoted = true;
    if (c === "{" || c === ";" || c === "}") flush(c);
    else {
      if (token.trim() === "" && !/\s/.test(c)) tokenAt = lineNo;
      token += c;
    }
  }
  if (quoted) throw parseError(file, lineNo, "a closing '\"'");
  if (token.trim() !== "") throw parseError(file, lineNo, `';' after "${token.trim()}"`);
  if (stack.length !== 1) throw parseError(file, lineNo, `${stack.length - 1} more '}'`);
  return root.children;
}

/** Children whose line starts with the words given. */
export function find(nodes: readonly CliNode[], ...words: string[]): CliNode[] {
  const prefix = words.join(" ");
  return nodes.filter((n) => n.line === prefix || n.line.startsWith(`${prefix} `));
}

/** The rest of a line after its first words. */
export function rest(node: CliNode, ...words: string[]): string {
  return node.line.slice(words.join(" ").length).trim();
}

export function unquote(s: string): string {
  return /^".*"$/.test(s) || /^'.*'$/.test(s) ? s.slice(1, -1) : s;
}
