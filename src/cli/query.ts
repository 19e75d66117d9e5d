// `flipdns query`: ask a DNS server one question, print the answer like a short
// dig. Exit 0 on NOERROR, 1 on any other rcode, 3 when no answer came.

import { randomInt } from 'node:crypto';
import { isIPv6 } from 'node:net';
import type { Command } from 'commander';
import type DNS from 'dns2';
import { SCHEMA } from '../config/schema.js';
import { integerArg } from './arg-parsers.js';
import { CliError } from './cli-error.js';
import { exchangeTcp } from './dns-tcp.js';
import { formatResponse } from './dns-format.js';
import { EXIT_PROBLEMS, EXIT_UNREACHABLE, EXIT_USAGE } from './exit-codes.js';
import { emit } from './output.js';

const TIMEOUT_MS = 3000;
const CLASS_CODES: Record<string, number> = { IN: 1, CH: 3, HS: 4 };

interface QueryFlags {
  port: number;
  tcp?: boolean;
  json?: boolean;
}

interface Question {
  name: string;
  type: string;
  cls: number;
  server: string;
}

export function registerQueryCommand(program: Command): void {
  program
    .command('query')
    .description('ask a DNS server (by default this machine\'s flipdns) one question, like a short dig')
    .argument('<name>', 'the name to ask about')
    .argument('[more...]', 'TYPE (default A), CLASS (IN, CH) and @SERVER (default 127.0.0.1), in any order')
    .option('-p, --port <PORT>', 'DNS port', integerArg(1, 65535), SCHEMA.port.default)
    .option('--tcp', 'ask over TCP instead of UDP')
    .option('--json', 'print the response as dns2 decodes it')
    .action(async (name: string, more: string[], flags: QueryFlags) => {
      // dns2 is loaded here only, so the other commands never need it.
      const { default: dns } = await import('dns2');
      const typeCodes: Record<string, number> = dns.Packet.TYPE;
      const question = parseQuestion([name, ...more], typeCodes);
      const started = performance.now();
      const response = await ask(dns, question, flags).catch((err: Error) => {
        throw new CliError(err.message, EXIT_UNREACHABLE);
      });
      const via = `from ${question.server}#${flags.port} over ${flags.tcp ? 'tcp' : 'udp'} in ${Math.round(performance.now() - started)} ms`;
      const typeNames = Object.fromEntries(Object.entries(typeCodes).map(([typeName, code]) => [code, typeName]));
      emit(flags.json, response, () => formatResponse(response, typeNames, via));
      if (response.header.rcode !== 0) process.exitCode = EXIT_PROBLEMS;
    });
}

/** dig's freedom of order: `@` marks the server, the name is the first word that is not a type or class, the rest are type and class. */
function parseQuestion(words: string[], typeCodes: Record<string, number>): Question {
  const servers = words.filter((word) => word.startsWith('@'));
  const plain = words.filter((word) => !word.startsWith('@'));
  const nameAt = Math.max(0, plain.findIndex((word) => !(word.toUpperCase() in CLASS_CODES || word.toUpperCase() in typeCodes)));
  const name = plain[nameAt];
  const rest = plain.filter((_, i) => i !== nameAt);
  if (servers.length > 1) throw new CliError('give one @SERVER', EXIT_USAGE);
  if (!name) throw new CliError('give the NAME to ask about', EXIT_USAGE);
  const question: Question = { name, type: 'A', cls: CLASS_CODES.IN, server: servers[0]?.slice(1) || '127.0.0.1' };
  const seen = new Set<string>();
  for (const word of rest.map((w) => w.toUpperCase())) {
    const field = word in CLASS_CODES ? 'class' : 'type';
    if (seen.has(field)) throw new CliError(`more than one ${field} given: ${rest.join(' ')}`, EXIT_USAGE);
    seen.add(field);
    if (field === 'class') question.cls = CLASS_CODES[word];
    else if (word in typeCodes) question.type = word;
    else throw new CliError(`unknown type ${word}; known: ${Object.keys(typeCodes).join(' ')}`, EXIT_USAGE);
  }
  return question;
}

async function ask(dns: typeof DNS, question: Question, flags: QueryFlags): Promise<DNS.Packet> {
  const { name, type, cls, server } = question;
  if (!flags.tcp) {
    const udp = dns.UDPClient({ dns: server, port: flags.port, timeout: TIMEOUT_MS, socketType: isIPv6(server) ? 'udp6' : 'udp4' });
    return udp(name, type, cls);
  }
  const query = new dns.Packet();
  query.header.id = randomInt(0x10000);
  query.header.rd = 1;
  query.questions.push({ name, type: dns.Packet.TYPE[type as keyof typeof dns.Packet.TYPE], class: cls } as DNS.Packet.Question);
  return dns.Packet.parse(await exchangeTcp(server, flags.port, query.toBuffer(), TIMEOUT_MS));
}
