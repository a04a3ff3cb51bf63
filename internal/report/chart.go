package report

import (
	"fmt"
	"math"
	"strconv"
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
		// The segments carry their names and a formatter of our own: the
		// library's default label is "name: percent", and without names
		// it showed a bare ": 66.66%".
		names := []string{"성공 success", "실패 failure"}
		values := []float64{float64(st.Successes), float64(st.Failures)}
		total := values[0] + values[1]
		label := charts.SeriesLabel{Show: charts.Ptr(true), LabelFormatter: func(i int, name string, v float64) (string, *charts.LabelStyle) {
			if v == 0 || total == 0 {
				return "", nil // no label for an empty segment
			}
			return fmt.Sprintf("%s %d (%.1f%%)", name, int(v), v*100/total), nil
		}}
		list := charts.NewSeriesListDoughnut(values, charts.DoughnutSeriesOption{Names: names, Label: label})
		p, err = charts.Render(charts.ChartOption{SeriesList: list.ToGenericSeriesList()},
			out, size, charts.TitleTextOptionFunc("성공 / 실패"), charts.LegendLabelsOptionFunc(names))
	case ChartHours:
		labels, values := series(st.ByHour, true)
		p, err = charts.LineRender([][]float64{values}, out, size, charts.TitleTextOptionFunc("시간대별 참가자 (UTC)"),
			charts.XAxisLabelsOptionFunc(labels), charts.YAxisOptionFunc(countAxis(values)))
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
			charts.XAxisLabelsOptionFunc(labels), charts.YAxisOptionFunc(countAxis(values)),
			charts.SeriesShowLabel(true))
	}
	if err != nil {
		return nil, err
	}
	return p.Bytes()
}

// countAxis is the value axis of a chart of counts: from zero, in whole
// steps of a round size (1, 2, 5, 10, 20, 50, …) with about five of them,
// labelled as whole numbers. The library's own axis split 0–2 people into
// steps of 0.4.
func countAxis(values []float64) charts.YAxisOption {
	top := 0.0
	for _, v := range values {
		top = max(top, v)
	}
	step := 1.0
	for i := 0; top/step > 5; i++ {
		step *= []float64{2, 2.5, 2}[i%3] // 1, 2, 5, 10, 20, 50, …
	}
	axisMax := math.Max(step, math.Ceil(top/step)*step)
	return charts.YAxisOption{Min: charts.Ptr(0.0), Max: charts.Ptr(axisMax), LabelCount: int(axisMax/step) + 1,
		PreferNiceIntervals: charts.Ptr(false), ValueFormatter: func(v float64) string { return strconv.FormatFloat(math.Round(v), 'f', 0, 64) }}
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

// Chart renders one chart of a campaign's stats for a page. The Korean font
// is loaded first when it is there, so that labels are measured with the
// glyphs they are drawn with; without it the chart still renders (the
// browser draws SVG text with its own fonts).
func (s *Service) Chart(st *campaign.Stats, kind, format string) ([]byte, error) {
	_, _ = s.loadFont()
	return Chart(st, kind, format)
}
