// The phone's camera, for both pages: frames read until a QR code the caller accepts shows.
import { readBarcodes } from "zxing-wasm/reader";

/** Start the back camera in `video` and read frames until `accept(text)` holds for a decoded
 * QR code; resolves to that text (the camera stopped), or to null if the camera is stopped
 * otherwise. Rejects with the browser's error when there is no camera (name NotFoundError)
 * or it is not allowed (NotAllowedError): the page says which in its language. */
export async function readFromCamera(video, accept) {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    throw Object.assign(new Error("no camera"), { name: "NotFoundError" });
  }
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
  video.srcObject = stream;
  video.hidden = false;
  await video.play();
  const canvas = document.createElement("canvas");
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  while (video.srcObject) {
    canvas.width = video.videoWidth; canvas.height = video.videoHeight;
    ctx.drawImage(video, 0, 0);
    const found = await readBarcodes(ctx.getImageData(0, 0, canvas.width, canvas.height), { formats: ["QRCode"] });
    const hit = found.find((b) => b.isValid && accept(b.text));
    if (hit) {
      stream.getTracks().forEach((tr) => tr.stop());
      video.srcObject = null; video.hidden = true;
      return hit.text;
    }
    await new Promise((r) => setTimeout(r, 120));
  }
  return null;
}
