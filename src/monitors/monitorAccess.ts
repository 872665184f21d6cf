import { BlockList, isIP } from 'node:net';
import {
  SERVICE_SETTING_PREFIXES,
  isExposedToMonitors,
  type MonitorAccessConfig,
} from '../config/config.js';
import { isCredentialParameter } from '../observability/logger.js';

/**
 * What a monitor file may reach. Monitor files come from many teams' pull requests; the
 * service's settings are the operator's. So a file may name only the environment variables
 * the operator exposed to monitor files (never the service's own settings), and its webhooks
 * may call only http(s) URLs without credentials, on hosts the operator allows, never a
 * link-local or cloud metadata address, and this machine only where the operator opted in.
 * The same rules are applied when a file is read (`validate`, the service's start) and again
 * before every request, to the addresses the host name resolves to then. Messages never
 * quote a URL: it may carry what they refuse.
 */
export type MonitorAccess = MonitorAccessConfig;

/** Why a monitor file may not name this environment variable, or null. */
export function secretNameProblem(name: string, access: MonitorAccess): string | null {
  const owned = SERVICE_SETTING_PREFIXES.find((prefix) => name.startsWith(prefix));
  if (owned) {
    return `${name} is one of the service's own settings (${owned}*): a monitor file may never name it`;
  }
  if (isExposedToMonitors(name, access.secrets)) return null;
  const now =
    access.secrets.length > 0 ? `it holds ${access.secrets.join(',')}` : 'it is unset: none';
  return `${name} is not exposed to monitor files: the operator lists the variables monitor files may name in DRIFTWATCH_MONITOR_SECRETS (${now})`;
}

/** Why a webhook may not call this URL, or null. */
export function destinationProblem(text: string, access: MonitorAccess): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'not a URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `only http:// and https:// URLs may be called, not ${url.protocol}`;
  }
  if (url.username !== '' || url.password !== '') {
    return 'credentials in a URL (user:password@) are refused: they would be stored and shown with it; use secret_env or token_env';
  }
  const parameter = [...url.searchParams.keys()].find(isCredentialParameter);
  if (parameter !== undefined) {
    return `the query parameter "${parameter}" carries a credential: it would be stored and shown with the URL; use secret_env or token_env`;
  }
  const host = hostOf(url);
  const problem = isIP(host) ? addressProblem(host, access) : hostNameProblem(host, access);
  if (problem) return problem;
  if (access.webhookHosts.length > 0 && !hostAllowed(host, access.webhookHosts)) {
    return `${host} is not among the hosts webhooks may call (DRIFTWATCH_WEBHOOK_HOSTS=${access.webhookHosts.join(',')})`;
  }
  return null;
}

/** Why a webhook may not connect to this IP address, or null. */
export function addressProblem(address: string, access: MonitorAccess): string | null {
  const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
  if (NEVER.check(address, family)) {
    return `${address} is a link-local, cloud metadata or non-unicast address: webhooks never call those`;
  }
  if (LOOPBACK.check(address, family) && !access.allowLoopback) {
    return `${address} is this machine (loopback): webhooks may call it only with DRIFTWATCH_WEBHOOK_ALLOW_LOOPBACK=true`;
  }
  return null;
}

/** The host a URL names, as compared: lower case, without IPv6 brackets or a final dot. */
export function hostOf(url: URL): string {
  return url.hostname
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');
}

/** Names that stand for this machine or a cloud's metadata service without resolving. */
const LOOPBACK_NAMES =
  /^(localhost|localhost\.localdomain|ip6-localhost|ip6-loopback)$|\.localhost$/;
const METADATA_NAMES = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
]);

function hostNameProblem(host: string, access: MonitorAccess): string | null {
  if (METADATA_NAMES.has(host))
    return `${host} is a cloud metadata service: webhooks never call it`;
  if (LOOPBACK_NAMES.test(host) && !access.allowLoopback) {
    return `${host} is this machine (loopback): webhooks may call it only with DRIFTWATCH_WEBHOOK_ALLOW_LOOPBACK=true`;
  }
  return null;
}

/** `ci.example.com` matches itself; `*.example.com` any name below example.com; IPs themselves. */
function hostAllowed(host: string, patterns: readonly string[]): boolean {
  return patterns.some((raw) => {
    const pattern = normalizeIp(raw.replace(/^\[|\]$/g, '').replace(/\.$/, ''));
    if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1));
    return host === pattern;
  });
}

/** The URL parser's spelling of an IPv6 address (compressed, lower case), so entries compare. */
function normalizeIp(text: string): string {
  if (isIP(text) !== 6) return text;
  return new URL(`http://[${text}]/`).hostname.replace(/^\[|\]$/g, '');
}

/**
 * Never called: link-local (where clouds put their metadata services: 169.254.169.254,
 * fd00:ec2::254 on AWS over IPv6, 100.100.100.200 on Alibaba), unspecified (0.0.0.0 reaches
 * this machine), multicast and broadcast. IPv4 addresses inside IPv6 (::ffff:a.b.c.d) are
 * checked as IPv4 by the block list itself; NAT64 (64:ff9b::/96) is listed explicitly.
 */
const NEVER = new BlockList();
NEVER.addSubnet('169.254.0.0', 16, 'ipv4');
NEVER.addSubnet('0.0.0.0', 8, 'ipv4');
NEVER.addSubnet('224.0.0.0', 4, 'ipv4');
NEVER.addSubnet('240.0.0.0', 4, 'ipv4');
NEVER.addAddress('100.100.100.200', 'ipv4');
NEVER.addSubnet('fe80::', 10, 'ipv6');
NEVER.addSubnet('ff00::', 8, 'ipv6');
NEVER.addAddress('::', 'ipv6');
NEVER.addAddress('fd00:ec2::254', 'ipv6');
NEVER.addSubnet('64:ff9b::a9fe:0', 112, 'ipv6');
NEVER.addSubnet('64:ff9b::', 104, 'ipv6');

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
LOOPBACK.addSubnet('64:ff9b::7f00:0', 104, 'ipv6');

/** Where a monitor file names an environment variable: its path and the field as errors say it. */
export interface NamedSecret {
  path: (string | number)[];
  field: string;
  variable: string;
}

/** Where a monitor file names a URL to call (or relies on a default one). */
export interface NamedDestination {
  path: (string | number)[];
  field: string;
  url: string;
}

/**
 * Every variable and URL a monitor file names (its webhooks' and its on-call receivers'
 * alike) against what the operator exposes: one rule for all, each refusal at its field, in
 * the order given.
 */
export function accessErrors(
  fields: readonly (NamedSecret | NamedDestination)[],
  access: MonitorAccess,
): { path: (string | number)[]; message: string }[] {
  return fields.flatMap((named) => {
    const problem =
      'variable' in named
        ? secretNameProblem(named.variable, access)
        : destinationProblem(named.url, access);
    return problem ? [{ path: named.path, message: `${named.field}: ${problem}` }] : [];
  });
}
