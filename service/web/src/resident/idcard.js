// GB 11643 ID-card numbers, checked in the page so that a typing mistake
// is named before anything is sent: the same rule as service/idcard.c
// (18 characters; 17 digits, the first not 0; a real date of birth from
// 1900 to today; the check character). The service checks again.
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = '10X98765432';

export function checkChar(digits17) {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(digits17[i]) * WEIGHTS[i];
  return CHECK[sum % 11];
}

function dateOk(ymd, today) {
  const y = Number(ymd.slice(0, 4));
  const m = Number(ymd.slice(4, 6));
  const d = Number(ymd.slice(6, 8));
  if (m < 1 || m > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const dim = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
  return d <= dim && ymd >= '19000101' && ymd <= today;
}

function todayYmd() {
  const n = new Date();
  return `${n.getFullYear()}${String(n.getMonth() + 1).padStart(2, '0')}${String(n.getDate()).padStart(2, '0')}`;
}

// The number as typed, with spaces taken out and x made X.
export function normaliseId(text) {
  return text.replace(/[\s\u3000]/g, '').replace(/x$/, 'X');
}

// null when the number is well-formed, else what is wrong with it:
// 'empty', 'length', 'chars', 'date' or 'check'.
export function idProblem(id, today = todayYmd()) {
  if (id === '') return 'empty';
  if (id.length !== 18) return 'length';
  if (!/^[1-9][0-9]{16}[0-9X]$/.test(id)) return 'chars';
  if (!dateOk(id.slice(6, 14), today)) return 'date';
  if (checkChar(id) !== id[17]) return 'check';
  return null;
}
