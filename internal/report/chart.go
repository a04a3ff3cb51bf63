package report

import (
	"sync"

	"github.com/go-analyze/charts"

	"github.com/usher-events/usher/internal/campaign"
)

// chartFont is the family name the Korean font is installed under.
const chartFont = "nanum"

var chartFontMu sync.Mutex

// installChartFont makes the Korean font the charts' default. The charts
// library keeps fonts in a process-wide registry.
func installChartFont(ttf []byte) error {
	chartFontMu.Lock()
	defer chartFontMu.Unlock()
	if err := charts.InstallFont(chartFont, ttf); err != nil {
		return err
	}
	return charts.SetDefaultFont(chartFont)
}

// Chart kinds.
const (
	ChartResults     = "results"
	ChartSchools     = "schools"
	ChartDepartments = "departments"
	ChartChannels    = "channels"
	ChartHours       = "hours"
)

// Chart renders one chart of the report as "png" or "svg": a donut of
// successes and failures, bars per school, department and channel, or a line
// per hour.
func Chart(st *campaign.Stats, kind, format string) ([]byte, error) {
	out := charts.PNGOutputOptionFunc()
	if format == "svg" {
		out = charts.SVGOutputOptionFunc()
	}
	size := charts.DimensionsOptionFunc(800, 400)
	var p *charts.Painter
	var err error
	switch kind {
	case ChartResults:
		p, err = charts.DoughnutRender([]float64{float64(st.Successes), float64(st.Failures)},
			out, size, charts.TitleTextOptionFunc("성공 / 실패"),
			charts.LegendLabelsOptionFunc([]string{"성공 success", "실패 failure"}), charts.SeriesShowLabel(true))
	case ChartHours:
		labels, values := series(st.ByHour, true)
		p, err = charts.LineRender([][]float64{values}, out, size, charts.TitleTextOptionFunc("시간대별 참가자 (UTC)"),
			charts.XAxisLabelsOptionFunc(labels), charts.YAxisOptionFunc(charts.YAxisOption{Min: charts.Ptr(0.0)}))
	default:
		groups, title := st.ByChannel, "채널별 참가자"
		switch kind {
		case ChartSchools:
			groups, title = st.BySchool, "학교별 참가자"
		case ChartDepartments:
			groups, title = st.ByDepartment, "학과별 참가자"
		}
		labels, values := series(groups, false)
		// Bars start at zero: a bar chart whose axis starts elsewhere
		// makes small differences look large.
		p, err = charts.BarRender([][]float64{values}, out, size, charts.TitleTextOptionFunc(title),
			charts.XAxisLabelsOptionFunc(labels), charts.YAxisOptionFunc(charts.YAxisOption{Min: charts.Ptr(0.0)}),
			charts.SeriesShowLabel(true))
	}
	if err != nil {
		return nil, err
	}
	return p.Bytes()
}

// series turns groups into labels and values; an empty breakdown becomes one
// zero bar so that the chart still renders.
func series(groups []campaign.Group, hours bool) ([]string, []float64) {
	var labels []string
	var values []float64
	for _, g := range groups {
		l := g.Name
		if hours && len(g.Key) >= 13 {
			l = g.Key[5:13] // "MM-DDTHH"
		}
		labels = append(labels, l)
		values = append(values, float64(g.Participants))
	}
	if len(values) == 0 {
		labels, values = []string{"-"}, []float64{0}
	}
	return labels, values
}
