// Eyes-free feedback, for people who roll while looking at their foot (issue 13): a continuous
// tone while the force is in the band whose pitch follows the force across it, a slow low pulse
// below it, a fast high alarm above it (over-pressure, at once), a chime at each routine step,
// and the phone's vibration where the browser has it (both with the one switch). Off until switched on: browsers only allow
// sound after the person has touched the page.
"use strict";
window.pfsenseSound = (() => {
  const BAND_LOW_HZ = 330; // E4 at the band's low end ...
  const BAND_HIGH_HZ = 660; // ... to E5 at its high end: an octave, easy to hear drift in
  const BELOW_HZ = 220; // under the band: lower than any in-band pitch
  const ALARM_HZ = 880; // over the band: higher than any in-band pitch, and a harsher wave
  const CONTACT_SHARE = 0.25; // under a quarter of the band's low end the foot is off: silence
  const state = { on: false, mode: "off", frequency_hz: 0, chimes: 0, alarms: 0, vibrations: 0 };
  let audio = null;
  let tone = null;
  let gain = null;
  let pulse = null; // the on/off rhythm below and above the band
  let lastAlarmMs = 0;

  function vibrate(pattern) {
    if (!navigator.vibrate) return;
    if (navigator.vibrate(pattern)) state.vibrations += 1;
  }

  function switchOn() {
    audio = new AudioContext();
    tone = audio.createOscillator();
    gain = audio.createGain();
    gain.gain.value = 0;
    tone.connect(gain).connect(audio.destination);
    tone.start();
    state.on = true;
  }

  function switchOff() {
    clearInterval(pulse);
    pulse = null;
    audio.close();
    audio = tone = gain = null;
    Object.assign(state, { on: false, mode: "off", frequency_hz: 0 });
  }

  // Level now, gliding a little so that the tone does not click at every sample.
  function level(volume) {
    gain.gain.setTargetAtTime(volume, audio.currentTime, 0.02);
  }

  function pulsing(periodMs, volume) {
    if (pulse) return;
    let high = true;
    pulse = setInterval(() => { high = !high; level(high ? volume : 0); }, periodMs / 2);
  }

  function steady(volume) {
    clearInterval(pulse);
    pulse = null;
    level(volume);
  }

  // Where the force is against the band: what to sound. `resting`: a routine's rest, silence.
  function follow(forceN, low, high, resting) {
    if (!state.on) return;
    let mode;
    if (forceN === null || resting || forceN < CONTACT_SHARE * low) mode = "quiet";
    else if (forceN < low) mode = "below";
    else if (forceN > high) mode = "above";
    else mode = "in";
    if (mode === "in") {
      const share = (forceN - low) / Math.max(1e-9, high - low);
      state.frequency_hz = BAND_LOW_HZ * Math.pow(BAND_HIGH_HZ / BAND_LOW_HZ, share);
    } else {
      state.frequency_hz = { quiet: 0, below: BELOW_HZ, above: ALARM_HZ }[mode];
    }
    if (state.frequency_hz) tone.frequency.setTargetAtTime(state.frequency_hz, audio.currentTime, 0.02);
    if (mode !== state.mode) {
      tone.type = mode === "above" ? "square" : "sine";
      clearInterval(pulse);
      pulse = null;
      if (mode === "in") steady(0.15);
      else if (mode === "below") pulsing(800, 0.12);
      else if (mode === "above") pulsing(250, 0.1);
      else steady(0);
    }
    if (mode === "above") alarm();
    state.mode = mode;
  }

  // Over-pressure: felt as well as heard, at once, then at most once a second while it lasts.
  function alarm() {
    const now = performance.now();
    if (now - lastAlarmMs < 1000) return;
    lastAlarmMs = now;
    state.alarms += 1;
    vibrate([120, 60, 120]);
  }

  // A routine's step changes: two rising notes and one long buzz, unlike any force sound.
  function chime() {
    if (!state.on) return;
    state.chimes += 1;
    vibrate(400);
    for (const [hz, delay_s] of [[523, 0], [784, 0.18]]) {
      const note = audio.createOscillator();
      const loud = audio.createGain();
      note.frequency.value = hz;
      loud.gain.value = 0.25;
      note.connect(loud).connect(audio.destination);
      note.start(audio.currentTime + delay_s);
      note.stop(audio.currentTime + delay_s + 0.15);
    }
  }

  function toggle() {
    if (state.on) switchOff();
    else switchOn();
    return state.on;
  }

  return { follow, chime, toggle, state };
})();
