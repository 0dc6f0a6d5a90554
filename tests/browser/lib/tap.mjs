// tap: TAP output for the browser folder's Node tests that need no server
// (harness.mjs has the same for those that do, with cleanup).
//
//   const { ok, is, done } = tap();
//   ok(cond, 'words'); is(got, want, 'words'); done();
export function tap() {
  let n = 0;
  let failed = 0;
  const ok = (cond, desc) => {
    n++;
    if (!cond) failed++;
    console.log(`${cond ? 'ok' : 'not ok'} ${n} - ${desc}`);
    return !!cond;
  };
  const is = (got, want, desc) => {
    const pass = ok(got === want, desc);
    if (!pass) console.log(`#   got ${JSON.stringify(got)}, wanted ${JSON.stringify(want)}`);
    return pass;
  };
  const done = () => {
    console.log(`1..${n}`);
    process.exit(failed === 0 && n > 0 ? 0 : 1);
  };
  return { ok, is, done };
}
