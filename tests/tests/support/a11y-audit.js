// A small WCAG 2.x audit run inside the page: the contrast of every visible piece of text
// against the background it is drawn on (AA: 4.5:1, or 3:1 for large text), a label for every
// form control, the page's language, and its landmarks. Returns a list of problems.
function channels(css) {
  const m = css.match(/rgba?\(([^)]+)\)/);
  if (!m) return null;
  const parts = m[1].split(/[ ,/]+/).filter(Boolean).map(parseFloat);
  return { rgb: parts.slice(0, 3), alpha: parts.length > 3 ? parts[3] : 1 };
}
function luminance(rgb) {
  const [r, g, b] = rgb.map((v) => {
    v /= 255;
    return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
function backgroundOf(el) {
  for (; el; el = el.parentElement) {
    // The root's background paints the whole canvas, whatever its size.
    const c = channels(getComputedStyle(el).backgroundColor);
    if (c && c.alpha > 0.5) return c.rgb;
  }
  // Nothing painted: the canvas is white.
  return [255, 255, 255];
}
const problems = [];
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
while (walker.nextNode()) {
  const text = walker.currentNode.textContent.trim();
  const el = walker.currentNode.parentElement;
  if (!text || !el) continue;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  const visible = style.visibility !== "hidden" && style.display !== "none" && box.width > 0 && box.right > 0;
  if (!visible) continue;
  const fg = channels(style.color).rgb;
  const bg = backgroundOf(el);
  const [hi, lo] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
  const ratio = (hi + 0.05) / (lo + 0.05);
  const size = parseFloat(style.fontSize);
  const large = size >= 24 || (size >= 18.66 && parseInt(style.fontWeight, 10) >= 700);
  const needed = large ? 3 : 4.5;
  if (ratio < needed) {
    problems.push(`contrast ${ratio.toFixed(2)} < ${needed} for "${text.slice(0, 40)}" (${style.color} on rgb(${bg}))`);
  }
}
document.querySelectorAll("input:not([type=hidden]), select, textarea").forEach((input) => {
  const labelled = (input.labels && input.labels.length > 0) || input.getAttribute("aria-label");
  if (!labelled) problems.push(`no label for ${input.name || input.type}`);
});
if (!document.documentElement.lang) problems.push("no lang on <html>");
for (const landmark of ["header", "main", "footer"]) {
  if (!document.querySelector(landmark)) problems.push(`no <${landmark}> landmark`);
}
if (!document.querySelector("h1")) problems.push("no <h1>");
return problems;
