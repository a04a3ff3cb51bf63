package ticket

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strings"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"

	"github.com/usher-events/usher/internal/fault"
)

// quietZone is the blank border a QR needs to be found, in modules (ISO/IEC
// 18004 asks for four). boombuler/barcode draws none, so we add it.
const quietZone = 4

// qrModulePixels is the size of one module in the PNG: a version 7 code
// becomes (45+8)×8 = 424 pixels, sharp on paper and on screens.
const qrModulePixels = 8

// qrMatrix encodes text as a QR with error correction M (15 %: a scuffed
// print or a cracked phone screen still scans) in the mode that suits it —
// alphanumeric for ticket codes.
func qrMatrix(text string) (barcode.Barcode, error) {
	return qr.Encode(text, qr.M, qr.Auto)
}

func dark(b barcode.Barcode, x, y int) bool {
	r, _, _, _ := b.At(x, y).RGBA()
	return r < 0x8000
}

// QRCodePNG draws text as a black-on-white QR PNG with a quiet zone.
func QRCodePNG(text string) ([]byte, error) {
	m, err := qrMatrix(text)
	if err != nil {
		return nil, err
	}
	n := m.Bounds().Dx()
	size := (n + 2*quietZone) * qrModulePixels
	// A two-colour palette keeps the PNG at a few kilobytes.
	img := image.NewPaletted(image.Rect(0, 0, size, size), color.Palette{color.White, color.Black})
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			if !dark(m, x, y) {
				continue
			}
			x0, y0 := (x+quietZone)*qrModulePixels, (y+quietZone)*qrModulePixels
			for dy := 0; dy < qrModulePixels; dy++ {
				row := img.Pix[(y0+dy)*img.Stride+x0:]
				for dx := 0; dx < qrModulePixels; dx++ {
					row[dx] = 1
				}
			}
		}
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// QRCodeSVG draws text as a QR in SVG: one path of horizontal runs of dark
// modules, in module units, so it scales to any size without blur.
func QRCodeSVG(text string) ([]byte, error) {
	m, err := qrMatrix(text)
	if err != nil {
		return nil, err
	}
	n := m.Bounds().Dx()
	size := n + 2*quietZone
	var p strings.Builder
	for y := 0; y < n; y++ {
		for x := 0; x < n; {
			if !dark(m, x, y) {
				x++
				continue
			}
			run := 1
			for x+run < n && dark(m, x+run, y) {
				run++
			}
			fmt.Fprintf(&p, "M%d %dh%dv1h-%dz", x+quietZone, y+quietZone, run, run)
			x += run
		}
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" shape-rendering="crispEdges">`,
		size, size, size*qrModulePixels, size*qrModulePixels)
	fmt.Fprintf(&buf, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="%s"/></svg>`, size, size, p.String())
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

// QRPNG returns the QR of a valid ticket of the tenant of ctx as a PNG, for
// messages that embed or attach it. A revoked ticket's is ticket_revoked:
// its code would only be refused at the gate, so it is not handed out.
func (s *Service) QRPNG(ctx context.Context, ticketID string) ([]byte, error) {
	t, err := s.scannable(ctx, ticketID)
	if err != nil {
		return nil, err
	}
	return QRCodePNG(t.Code)
}

// QRSVG is QRPNG as SVG.
func (s *Service) QRSVG(ctx context.Context, ticketID string) ([]byte, error) {
	t, err := s.scannable(ctx, ticketID)
	if err != nil {
		return nil, err
	}
	return QRCodeSVG(t.Code)
}

// scannable returns a ticket whose code may be shown: one that is not
// revoked (a cancelled or refunded order's tickets are).
func (s *Service) scannable(ctx context.Context, ticketID string) (*Ticket, error) {
	t, err := s.Get(ctx, ticketID)
	if err != nil {
		return nil, err
	}
	if t.Status == StatusRevoked {
		return nil, fault.New(fault.TicketRevoked, "ticket %q was revoked; its code is no longer valid", ticketID)
	}
	return t, nil
}
