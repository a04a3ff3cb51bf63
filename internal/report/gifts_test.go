package report_test

import (
	"bytes"
	"encoding/csv"
	"slices"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/usher-events/usher/internal/report"
)

// Gifts sent are counted per channel only: the CSV and the workbook show
// them there and leave the cell empty in the other breakdowns, rather than
// a 0 that contradicts the total.
func TestGiftsOnlyWhereCounted(t *testing.T) {
	st := sample()
	st.ByChannel[0].GiftsSent, st.ByChannel[1].GiftsSent = 25, 5
	raw, err := report.CSV(st)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(raw, []byte("\uFEFF")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	gifts := map[string][]string{}
	for _, r := range rows[1:] {
		gifts[r[0]] = append(gifts[r[0]], r[6])
	}
	want := map[string][]string{"total": {"30"}, "school": {"", ""}, "department": {"", ""}, "channel": {"25", "5"}, "hour": {"", "", ""}}
	for sec, w := range want {
		if got := gifts[sec]; !slices.Equal(got, w) {
			t.Errorf("csv %s gifts_sent %q, want %q", sec, got, w)
		}
	}

	raw, err = report.XLSX(st)
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for sheet, w := range map[string]string{"school": "", "channel": "25"} {
		if got, err := f.GetCellValue(sheet, "F2"); err != nil || got != w {
			t.Errorf("xlsx %s F2 = %q (%v), want %q", sheet, got, err, w)
		}
	}
}
