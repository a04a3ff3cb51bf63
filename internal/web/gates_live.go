package web

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/event"
	"github.com/usher-events/usher/internal/gate"
)

// Targets of the event-day plan the dashboard marks: a wait of at most
// 3 minutes per gate and at most 0.5 % refused scans.
const (
	targetWaitSeconds = 180
	targetErrorRate   = 0.005
)

// The live stream's rhythm. A burst of scans becomes one update after
// liveDebounce (well within the second the dashboard promises); without
// scans an update every liveHeartbeat keeps rates and device health moving
// and proxies from closing the stream; after liveLifetime the stream ends
// and the browser's EventSource reconnects, which re-checks the session.
const (
	liveDebounce  = 200 * time.Millisecond
	liveHeartbeat = 5 * time.Second
	liveLifetime  = 30 * time.Minute
)

// curveMinutes is the span of the arrival curve, up to the latest minute.
const curveMinutes = 60

// liveLane is one gate's row on the dashboard.
type liveLane struct {
	Name, Kind        string
	Admitted, Refused int
	PerMin, Queue     string
	Wait              string
	// Saturated: arrivals reach the planned rate; Slow: the estimated
	// wait is over the target.
	Saturated, Slow bool
}

// bar is one minute of the arrival curve, in SVG units.
type bar struct {
	X, Y, H, N int
	Label      string
}

// curve is the arrival curve: admissions per minute over the last hour.
type curve struct {
	Bars        []bar
	Max, Total  int
	W, H, BarW  int
	From, To    string
	HasArrivals bool
	TargetY     int
	ShowTarget  bool
}

// liveBoard is everything the dashboard shows; the page renders it, and
// the stream renders it again after each change.
type liveBoard struct {
	Inside, Admitted, Scans, Conflicts, OpenAlerts int
	ErrorPct                                       string
	ErrorHigh                                      bool
	Lanes                                          []liveLane
	Curve                                          curve
	Devices                                        []gate.DeviceState
	Beacons                                        []gate.Beacon
	Alerts                                         []gate.Alert
	ConflictList                                   []gate.Conflict
	GateNames                                      map[string]string
	Timezone                                       string
	At                                             string
	Target                                         int
}

// livePage is the content of the dashboard page.
type livePage struct {
	gatesHead
	Board     *liveBoard
	StreamURL string
}

// board reads an event's numbers for the dashboard.
func (p *Pages) board(ctx context.Context, e *event.Event) (*liveBoard, error) {
	st, err := p.deps.Gates.Stats(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	health, err := p.deps.Gates.Health(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	conflicts, err := p.deps.Gates.Conflicts(ctx, e.ID, api.PageParams{Limit: 20})
	if err != nil {
		return nil, err
	}
	b := &liveBoard{Inside: st.Inside, Admitted: st.Admitted, Scans: st.Scans, Conflicts: st.Conflicts, OpenAlerts: len(health.Alerts),
		ErrorPct: fmt.Sprintf("%.1f%%", st.ErrorRate*100), ErrorHigh: st.ErrorRate > targetErrorRate,
		Devices: health.Devices, Beacons: health.Beacons, Alerts: health.Alerts, ConflictList: conflicts.Body.Data,
		GateNames: map[string]string{}, Timezone: e.Timezone, At: st.At.In(location(e.Timezone)).Format("15:04:05"),
		Target: gate.TargetPerGatePerMinute}
	for _, l := range st.PerGate {
		b.GateNames[l.GateID] = l.Name
		b.Lanes = append(b.Lanes, liveLane{Name: l.Name, Kind: l.Kind, Admitted: l.Admitted, Refused: l.Refused,
			PerMin: fmt.Sprintf("%.1f", l.PerMin), Queue: fmt.Sprintf("%.1f", l.QueueLength), Wait: waitText(l.WaitSeconds),
			Saturated: l.Saturated, Slow: l.WaitSeconds > targetWaitSeconds})
	}
	b.Curve = arrivalCurve(st.Arrivals, st.At, len(st.PerGate), e.Timezone)
	return b, nil
}

// waitText shows a wait as minutes and seconds.
func waitText(seconds float64) string {
	s := int(seconds + 0.5)
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// arrivalCurve lays the last hour's admissions per minute out as bars, the
// newest on the right, with a line at the planned capacity of the gates.
func arrivalCurve(arrivals []gate.MinuteCount, at time.Time, gates int, tz string) curve {
	const w, h, barW = 600, 120, 10
	end := at.UTC().Truncate(time.Minute)
	start := end.Add(-(curveMinutes - 1) * time.Minute)
	counts := make([]int, curveMinutes)
	c := curve{W: w, H: h, BarW: barW - 2}
	for _, a := range arrivals {
		i := int(a.Minute.Sub(start) / time.Minute)
		if i >= 0 && i < curveMinutes {
			counts[i] += a.Admitted
			c.Total += a.Admitted
		}
	}
	c.Max = 1
	for _, n := range counts {
		c.Max = max(c.Max, n)
	}
	capacity := gates * gate.TargetPerGatePerMinute
	scale := c.Max
	if capacity > 0 && capacity <= 2*c.Max {
		// The capacity line is drawn when it fits the scale sensibly.
		scale = max(scale, capacity)
		c.ShowTarget = true
		c.TargetY = h - capacity*(h-10)/scale
	}
	loc := location(tz)
	for i, n := range counts {
		bh := n * (h - 10) / scale
		if n > 0 && bh < 2 {
			bh = 2
		}
		m := start.Add(time.Duration(i) * time.Minute).In(loc).Format("15:04")
		c.Bars = append(c.Bars, bar{X: i * barW, Y: h - bh, H: bh, N: n, Label: m})
	}
	c.HasArrivals = c.Total > 0
	c.From, c.To = start.In(loc).Format("15:04"), end.In(loc).Format("15:04")
	return c
}

// liveEvent loads the event of a dashboard request.
func (p *Pages) liveEvent(v *visit) (*event.Event, error) {
	return p.deps.Events.Get(v.ctx(), v.r.PathValue("event_id"))
}

// GatesLive shows the live check-in dashboard of an event.
func (p *Pages) GatesLive(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, gateWatcher, func(v *visit) error {
		e, err := p.liveEvent(v)
		if err != nil {
			return err
		}
		b, err := p.board(v.ctx(), e)
		if err != nil {
			return err
		}
		data := &livePage{gatesHead: gatesHead{Event: e, Tab: "live"}, Board: b,
			StreamURL: "/app/events/" + url.PathEscape(e.ID) + "/gates/live/stream"}
		return p.render(v, http.StatusOK, "gates_live", &view{Title: "gates.live.title", Nav: "gates", Data: data})
	})
}

// GatesLiveStream streams the dashboard as Server-Sent Events: a "board"
// event with the rendered board at once and within a second of each scan.
// It is the page session's twin of GET /v1/events/{id}/checkins/live, which
// needs a bearer token an EventSource cannot send; both listen to the gate
// service's live hub.
func (p *Pages) GatesLiveStream(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, gateWatcher, func(v *visit) error {
		e, err := p.liveEvent(v)
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(v.ctx(), liveLifetime)
		defer cancel()
		// Subscribe before the first read, so that a scan between the two
		// is not missed.
		notices, stop := p.deps.Gates.Live().Subscribe(ctx, e.ID)
		defer stop()
		first, err := p.renderBoard(v, ctx, e)
		if err != nil {
			return err
		}
		rc := http.NewResponseController(v.w)
		// The server's write timeout is for ordinary answers; a stream
		// lives until the client leaves.
		if err := rc.SetWriteDeadline(time.Time{}); err != nil {
			p.logger(v).Debug("gates live: clear write deadline", "err", err)
		}
		h := v.w.Header()
		h.Set("Content-Type", "text/event-stream")
		h.Set("X-Accel-Buffering", "no")
		v.w.WriteHeader(http.StatusOK)
		send := func(html []byte) bool {
			var buf bytes.Buffer
			buf.WriteString("event: board\n")
			for line := range strings.SplitSeq(string(html), "\n") {
				buf.WriteString("data: ")
				buf.WriteString(line)
				buf.WriteByte('\n')
			}
			buf.WriteByte('\n')
			if _, err := buf.WriteTo(v.w); err != nil {
				return false
			}
			return rc.Flush() == nil
		}
		if !send(first) {
			return nil
		}
		tick := time.NewTicker(liveHeartbeat)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-notices:
				select {
				case <-time.After(liveDebounce):
				case <-ctx.Done():
					return nil
				}
			case <-tick.C:
			}
			next, err := p.renderBoard(v, ctx, e)
			if err != nil {
				if ctx.Err() == nil {
					p.logger(v).Warn("gates live", "err", err)
				}
				return nil
			}
			if !send(next) {
				return nil
			}
		}
	})
}

// renderBoard renders the board alone, in the visit's language, as the
// page shows it.
func (p *Pages) renderBoard(v *visit, ctx context.Context, e *event.Event) ([]byte, error) {
	b, err := p.board(ctx, e)
	if err != nil {
		return nil, err
	}
	vw := &view{Lang: v.lang, msgs: catalogs[v.lang], assets: p.assets,
		Data: &livePage{gatesHead: gatesHead{Event: e, Tab: "live"}, Board: b}}
	var buf bytes.Buffer
	if err := p.pages["gates_live"].ExecuteTemplate(&buf, "gates_board", vw); err != nil {
		return nil, fmt.Errorf("web: render gates board: %w", err)
	}
	return bytes.TrimSpace(buf.Bytes()), nil
}
