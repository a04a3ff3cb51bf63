package ticket

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/id"
)

func TestICS(t *testing.T) {
	t.Parallel()
	c := calendar{
		UID: "tkt_01@usher", Stamp: time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC),
		Start:    time.Date(2027, 3, 1, 10, 0, 0, 0, time.FixedZone("KST", 9*3600)),
		End:      time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC),
		Summary:  "서울 개발자 컨퍼런스, 2027; \\ 본 행사 — 키노트와 트랙 세션이 함께하는 아주 긴 제목입니다",
		Location: "COEX Hall A\nSeoul",
	}
	out := string(c.render())
	if !strings.HasSuffix(out, "END:VCALENDAR\r\n") || strings.Contains(strings.ReplaceAll(out, "\r\n", ""), "\n") {
		t.Fatalf("line ends are not CRLF:\n%q", out)
	}
	for _, line := range strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n") {
		if len(line) > 75 {
			t.Errorf("line of %d octets: %q", len(line), line)
		}
		if !utf8Valid(line) {
			t.Errorf("fold split a character: %q", line)
		}
	}
	unfolded := strings.ReplaceAll(out, "\r\n ", "")
	for _, want := range []string{
		"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n",
		"BEGIN:VEVENT\r\nUID:tkt_01@usher\r\nDTSTAMP:20270201T000000Z\r\n",
		"DTSTART:20270301T010000Z\r\n", "DTEND:20270301T090000Z\r\n",
		`SUMMARY:서울 개발자 컨퍼런스\, 2027\; \\ 본 행사 — 키노트와`,
		`LOCATION:COEX Hall A\nSeoul` + "\r\n",
		"STATUS:CONFIRMED\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
	} {
		if !strings.Contains(unfolded, want) {
			t.Errorf("missing %q in\n%s", want, unfolded)
		}
	}
	if !strings.Contains(out, "\r\n ") {
		t.Errorf("the long summary was not folded:\n%s", out)
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

func TestQRImages(t *testing.T) {
	t.Parallel()
	k, priv := testKey(t, id.New("evt"))
	code := mustEncode(t, testClaims(k), priv)
	p, err := QRCodePNG(code)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(p))
	if err != nil {
		t.Fatal(err)
	}
	m, _ := qrMatrix(code)
	want := (m.Bounds().Dx() + 2*quietZone) * qrModulePixels
	if img.Bounds().Dx() != want || img.Bounds().Dy() != want {
		t.Fatalf("png is %v, want %d square", img.Bounds(), want)
	}
	// The quiet zone is white, the first finder pattern's corner black.
	if r, _, _, _ := img.At(1, 1).RGBA(); r != 0xffff {
		t.Fatal("quiet zone is not white")
	}
	if r, _, _, _ := img.At(quietZone*qrModulePixels+1, quietZone*qrModulePixels+1).RGBA(); r != 0 {
		t.Fatal("finder pattern is not black")
	}
	svg, err := QRCodeSVG(code)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(svg, []byte(`<svg xmlns="http://www.w3.org/2000/svg"`)) || !bytes.Contains(svg, []byte(`<path fill="#000" d="M4 4h7v1h-7z`)) {
		t.Fatalf("svg: %.200s", svg)
	}
}

func TestPDF(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		it := b.issue(t, id.New("ord"), 1)[0]
		pdf, err := b.svc.PDF(b.ctx, it.ID)
		if fault.Is(err, fault.FontUnavailable) {
			t.Skip("fonts-nanum is not installed")
		}
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
			t.Fatalf("not a PDF: %.20q", pdf)
		}
		if dir := os.Getenv("USHER_TICKET_PDF_DIR"); dir != "" && d == db.SQLite {
			os.WriteFile(filepath.Join(dir, "ticket.pdf"), pdf, 0o644)
		}
		if !bytes.Contains(bytes.ToLower(pdf), []byte("/fontname /utf8nanumgothic")) || !bytes.Contains(pdf, []byte("/FontFile2")) {
			t.Fatal("the PDF does not embed NanumGothic")
		}
		if dir := os.Getenv("USHER_TICKET_PDF_DIR"); dir != "" && d == db.SQLite {
			os.WriteFile(filepath.Join(dir, "ticket.pdf"), pdf, 0o644)
		}
		// Revoked tickets still render (with a banner).
		order := id.New("ord")
		gone := b.issue(t, order, 1)[0]
		if err := b.db.Write(b.ctx, func(tx *db.Tx) error { return b.svc.RevokeOrder(tx, order) }); err != nil {
			t.Fatal(err)
		}
		rpdf, err := b.svc.PDF(b.ctx, gone.ID)
		if err != nil || !bytes.HasPrefix(rpdf, []byte("%PDF-")) {
			t.Fatalf("revoked ticket PDF: %v", err)
		}
		if dir := os.Getenv("USHER_TICKET_PDF_DIR"); dir != "" && d == db.SQLite {
			os.WriteFile(filepath.Join(dir, "revoked.pdf"), rpdf, 0o644)
		}
		ics, err := b.svc.ICS(b.ctx, it.ID)
		if err != nil || !bytes.Contains(ics, []byte("UID:"+it.ID+"@usher")) || !bytes.Contains(ics, []byte("DTSTART:20270301T010000Z")) {
			t.Fatalf("ics %s %v", ics, err)
		}
		rics, _ := b.svc.ICS(b.ctx, gone.ID)
		if !bytes.Contains(rics, []byte("STATUS:CANCELLED")) {
			t.Fatalf("revoked ics %s", rics)
		}
	})
}

func TestMissingFont(t *testing.T) {
	t.Parallel()
	b := setup(t, db.SQLite)
	b.svc = NewService(Config{FontPath: filepath.Join(t.TempDir(), "NanumGothic.ttf")}, b.db, b.cat, b.clock.now, nil)
	it := b.issue(t, id.New("ord"), 1)[0]
	_, err := b.svc.PDF(b.ctx, it.ID)
	if !fault.Is(err, fault.FontUnavailable) || !strings.Contains(err.Error(), "fonts-nanum") {
		t.Fatalf("err = %v, want font_unavailable naming fonts-nanum", err)
	}
	// The rest of the service works without the font.
	if _, err := b.svc.QRPNG(context.Background(), it.ID); err == nil {
		t.Fatal("unscoped QRPNG should fail")
	}
	if _, err := b.svc.QRPNG(b.ctx, it.ID); err != nil {
		t.Fatal(err)
	}
}
