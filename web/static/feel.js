// A band by feel, for people without a therapist: press at "firm but comfortable", then at
// "strong but tolerable", a few seconds each (the server measures both); the band between them
// becomes this device's band (or, with the therapist logged in, the chosen patient's).
"use strict";
(() => {
  const live = window.pfsenseLive;
  if (!live) return;
  const { call } = window.pfsense;
  const $ = (name) => document.getElementById(name);
  const PRESS_S = 5; // pfsense.clinical.doses.FEEL_PRESS_S
  const SPREAD = 0.15; // pfsense.clinical.doses.FEEL_MIN_SPREAD
  const STEPS = [
    { level: "comfortable", words: "Press on the ball at firm but comfortable, about 6 out of 10. Tap measure, and keep pressing until the count ends." },
    { level: "strong", words: "Now press at strong but tolerable, about 8 out of 10: as hard as you can bear without pain. Tap measure, and keep pressing." },
  ];
  const panel = $("feel");
  const go = $("feel-go");
  const save = $("feel-save");
  let step = 0;
  const pressed = {};

  function showStep() {
    save.hidden = true;
    go.hidden = false;
    go.textContent = "measure";
    $("feel-countdown").textContent = "";
    $("feel-step").textContent = `${step + 1} of 2: ${STEPS[step].words}`;
  }

  $("band-by-feel").addEventListener("click", () => {
    panel.hidden = false;
    window.scrollTo(0, 0); // the steps and the count sit above the force, where the person looks
    step = 0;
    showStep();
  });
  $("feel-cancel").addEventListener("click", () => { panel.hidden = true; });

  // The count the person watches while pressing: the server measures the same seconds.
  function countDown() {
    const until = performance.now() + PRESS_S * 1000;
    const timer = setInterval(() => {
      const left = Math.max(0, Math.ceil((until - performance.now()) / 1000));
      $("feel-countdown").textContent = left ? `keep pressing: ${left}` : "measuring…";
      if (!left) clearInterval(timer);
    }, 100);
    return () => clearInterval(timer);
  }

  go.addEventListener("click", async () => {
    go.disabled = true;
    const stop = countDown();
    try {
      const answer = await call("POST", "/api/feel/press", { level: STEPS[step].level });
      pressed[STEPS[step].level] = answer.force_n;
      if (step === 0) {
        step = 1;
        showStep();
        live.say(`firm but comfortable: ${live.formatForce(answer.force_n)}`);
      } else if (pressed.strong - pressed.comfortable < SPREAD * pressed.strong) {
        // Too alike to guide anyone (the server would refuse them too): the second press again.
        $("feel-step").textContent = `2 of 2: that was ${live.formatForce(pressed.strong)}, about the same as your first press (${live.formatForce(pressed.comfortable)}). Press harder, as hard as you can bear without pain, and tap measure.`;
        $("feel-countdown").textContent = "";
      } else {
        go.hidden = true;
        save.hidden = false;
        $("feel-countdown").textContent = "";
        $("feel-step").textContent = `Your band would be ${live.formatForce(pressed.comfortable)} to ${live.formatForce(pressed.strong)}, from your two presses.`;
      }
    } catch (error) {
      live.say(error.message, true);
      $("feel-countdown").textContent = "";
    } finally {
      stop();
      go.disabled = false;
    }
  });

  save.addEventListener("click", async () => {
    const who = $("who").value;
    const body = who ? { patient_id: Number(who) } : {};
    const answer = await live.post("/api/feel/band", body);
    if (!answer) return;
    panel.hidden = true;
    const [low, high] = answer.band_n.map(live.formatForce);
    live.say(who ? `band ${low} to ${high} saved for this patient's rolling` : `your band by feel is now ${low} to ${high}`);
  });
})();
