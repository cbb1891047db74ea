import { runCli } from './cli.js';

runCli(process.argv.slice(2), process.env, (s) => console.log(s)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
