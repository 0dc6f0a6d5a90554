// The checkpoint page's camera: getUserMedia (the rear camera when there
// is one), frames drawn to a canvas a few times a second, and jsQR looking
// for a QR code in each. What a code says goes to onCode as text; the page
// decides what to do with it (and ignores repeats).
import jsQR from 'jsqr';
import { $ } from './lib/dom.js';
import { t } from './lib/i18n.js';

const FRAME_MS = 150; // about 6 frames a second: enough, and gentle on a phone
const MAX_SIDE = 800; // frames are scaled down to this before decoding

let stream = null;
let timer = null;
let onCode = null;
const canvas = document.createElement('canvas');
const ctx = canvas.getContext('2d', { willReadFrequently: true });

// A message under the camera, kept in words of the page's language (the
// data-i18n key makes a language switch redraw it).
function say(key) {
  const msg = $('#camera-msg');
  msg.hidden = !key;
  if (key) {
    msg.dataset.i18n = key;
    msg.textContent = t(key);
  } else {
    delete msg.dataset.i18n;
    msg.textContent = '';
  }
}

function showRunning(running) {
  $('#video').hidden = !running;
  $('#camera-hint').hidden = !running;
  $('#camera-start').hidden = running;
  $('#camera-stop').hidden = !running;
}

function tick() {
  timer = null;
  if (!stream) return;
  const video = $('#video');
  const w0 = video.videoWidth;
  const h0 = video.videoHeight;
  if (video.readyState >= 2 && w0 > 0 && h0 > 0) {
    const scale = Math.min(1, MAX_SIDE / Math.max(w0, h0));
    const w = Math.round(w0 * scale);
    const h = Math.round(h0 * scale);
    if (canvas.width !== w || canvas.height !== h) {
      canvas.width = w;
      canvas.height = h;
    }
    ctx.drawImage(video, 0, 0, w, h);
    const img = ctx.getImageData(0, 0, w, h);
    const code = jsQR(img.data, w, h, { inversionAttempts: 'dontInvert' });
    if (code && code.data) onCode(code.data);
  }
  timer = setTimeout(tick, FRAME_MS);
}

export async function startCamera(cb) {
  onCode = cb;
  if (stream) return;
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    say('check.camera.insecure');
    return;
  }
  say(null);
  let s;
  try {
    s = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: { ideal: 'environment' }, width: { ideal: 1280 }, height: { ideal: 720 } },
      audio: false,
    });
  } catch (e) {
    const name = e && e.name;
    if (name === 'NotAllowedError' || name === 'SecurityError') say('check.camera.denied');
    else if (name === 'NotFoundError' || name === 'OverconstrainedError') say('check.camera.none');
    else say('check.camera.failed');
    return;
  }
  stream = s;
  const video = $('#video');
  video.srcObject = stream;
  showRunning(true);
  try {
    await video.play();
  } catch {
    /* muted inline video plays without a gesture; a refusal shows as no frames */
  }
  // A camera unplugged or taken by another app ends the track.
  for (const track of stream.getVideoTracks()) track.addEventListener('ended', () => stopCamera('check.camera.ended'));
  if (!timer) timer = setTimeout(tick, FRAME_MS);
}

export function stopCamera(why = null) {
  if (timer) clearTimeout(timer);
  timer = null;
  if (stream) for (const track of stream.getTracks()) track.stop();
  stream = null;
  const video = $('#video');
  if (video) video.srcObject = null;
  showRunning(false);
  say(why);
}

// Starts the camera without a tap when this page may already use it.
export async function startIfAllowed(cb) {
  try {
    const p = await navigator.permissions.query({ name: 'camera' });
    if (p.state === 'granted') await startCamera(cb);
  } catch {
    /* no Permissions API for cameras here: wait for the button */
  }
}
