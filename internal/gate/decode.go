package gate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	_ "image/jpeg" // camera frames arrive as JPEG
	_ "image/png"
	"io"
	"net/http"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/usher-events/usher/internal/fault"
)

// maxFramePixels bounds a frame's size before decoding, so that a small
// file that claims a huge picture cannot take the memory.
const maxFramePixels = 4096 * 4096

// DecodeQR finds a QR code in a JPEG or PNG camera frame and returns its
// text: the fallback for browsers without BarcodeDetector (desktop Chrome
// on Linux and Windows, Safari).
func DecodeQR(frame []byte) (string, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(frame))
	if err != nil {
		return "", fault.Field("image", "must be a JPEG or PNG image")
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > maxFramePixels {
		return "", fault.Field("image", "is too large (at most 4096×4096 pixels)")
	}
	img, _, err := image.Decode(bytes.NewReader(frame))
	if err != nil {
		return "", fault.Field("image", "must be a JPEG or PNG image")
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", fault.Field("image", "cannot be read")
	}
	// A camera frame needs the reader to look for the code (TRY_HARDER).
	// About one clean, straight code in a hundred (a ticket's own PNG, a
	// screenshot of it) defeats that search while being read at once as a
	// code that fills the picture (PURE_BARCODE), so that is tried next.
	for _, hint := range []gozxing.DecodeHintType{gozxing.DecodeHintType_TRY_HARDER, gozxing.DecodeHintType_PURE_BARCODE} {
		res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{hint: true})
		if err == nil {
			return res.GetText(), nil
		}
	}
	return "", fault.New(fault.Validation, "no QR code found in the image")
}

// DecodeRequest is POST /v1/scan/decode: the body is the image itself.
type DecodeRequest struct {
	RawBody []byte `contentType:"image/*" doc:"A camera frame or picture (PNG, JPEG, GIF) of at most 1 MiB."`
}

// DecodeResponse is the text of the QR code found.
type DecodeResponse struct {
	CacheControl string `header:"Cache-Control"`
	Body         struct {
		Code string `json:"code" doc:"The text the QR code holds: a ticket's code for POST /v1/checkins."`
	}
}

// HandleDecode reads the QR code in a camera frame, for scanners whose
// browser cannot (no BarcodeDetector).
func (s *Service) HandleDecode(ctx context.Context, in *DecodeRequest) (*DecodeResponse, error) {
	code, err := DecodeQR(in.RawBody)
	if err != nil {
		return nil, err
	}
	out := &DecodeResponse{CacheControl: "no-store"}
	out.Body.Code = code
	return out, nil
}

// DecodeHandler serves the same decoding for a gate node, which checks
// its own credentials before.
func DecodeHandler(writeErr func(http.ResponseWriter, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		serveDecode(w, r, func(err error) { writeErr(w, err) })
	}
}

func serveDecode(w http.ResponseWriter, r *http.Request, fail func(error)) {
	frame, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		fail(fault.New(fault.TooLarge, "the image is larger than 1 MiB"))
		return
	}
	if err != nil {
		fail(fault.New(fault.Invalid, "cannot read the image"))
		return
	}
	code, err := DecodeQR(frame)
	if err != nil {
		fail(err)
		return
	}
	b, _ := json.Marshal(map[string]string{"code": code})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b)
}
