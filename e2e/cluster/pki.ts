/**
 * The throwaway PKI of one test control plane, as envtest makes it: a CA, the apiserver's serving
 * certificate for loopback, client certificates (the user is the CN, groups are O), and the
 * service-account signing key. Written with the `openssl` CLI into the plane's temp directory.
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args);
  } catch (err) {
    const e = err as { stderr?: string };
    throw new Error(`openssl ${args[0]} failed: ${e.stderr ?? String(err)}`, { cause: err });
  }
}

export interface CertFiles {
  cert: string;
  key: string;
}

export interface Pki {
  dir: string;
  ca: CertFiles;
  serving: CertFiles;
  /** PEM of the CA, for kubeconfigs. */
  caPem: string;
  saKey: string;
  saPub: string;
  /** Issues a client certificate for `user` in `groups`. */
  client(user: string, groups?: string[]): Promise<CertFiles & { certPem: string; keyPem: string }>;
}

const subj = (cn: string, groups: string[] = []): string =>
  `/${groups.map((g) => `O=${g}/`).join('')}CN=${cn}`;

/** Creates the CA, the serving certificate and the SA key pair in `dir`. Valid for one day. */
export async function createPki(dir: string): Promise<Pki> {
  const ca = { cert: join(dir, 'ca.crt'), key: join(dir, 'ca.key') };
  await openssl([
    'req', '-x509', '-new', '-nodes', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
    '-keyout', ca.key, '-out', ca.cert, '-days', '1', '-subj', '/CN=aiops-test-ca',
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
  ]); // prettier-ignore
  const issue = async (
    name: string,
    subject: string,
    exts: string[],
  ): Promise<CertFiles & { certPem: string; keyPem: string }> => {
    const files = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
    await openssl([
      'req', '-x509', '-new', '-nodes', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
      '-CA', ca.cert, '-CAkey', ca.key, '-keyout', files.key, '-out', files.cert, '-days', '1',
      '-subj', subject, '-addext', 'basicConstraints=critical,CA:FALSE',
      ...exts.flatMap((e) => ['-addext', e]),
    ]); // prettier-ignore
    return {
      ...files,
      certPem: await readFile(files.cert, 'utf8'),
      keyPem: await readFile(files.key, 'utf8'),
    };
  };
  const serving = await issue('apiserver', '/CN=kube-apiserver', [
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth',
    'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc',
  ]);
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const saKey = join(dir, 'sa.key');
  const saPub = join(dir, 'sa.pub');
  await writeFile(saKey, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  await writeFile(saPub, publicKey.export({ type: 'spki', format: 'pem' }));
  let n = 0;
  return {
    dir,
    ca,
    serving,
    caPem: await readFile(ca.cert, 'utf8'),
    saKey,
    saPub,
    client: (user, groups = []) =>
      issue(`client-${++n}`, subj(user, groups), [
        'keyUsage=critical,digitalSignature',
        'extendedKeyUsage=clientAuth',
      ]),
  };
}
