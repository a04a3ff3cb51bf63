package web

import (
	"net/http"
	"net/url"

	"github.com/usher-events/usher/internal/event"
	"github.com/usher-events/usher/internal/id"
	"github.com/usher-events/usher/internal/waitroom"
)

// queueCookie identifies the browser to the waiting room, so that opening
// the waiting page again (a reload, a second tab) keeps the same place.
const queueCookie = "usher_queue_client"

// queuePage is the content of the waiting page.
type queuePage struct {
	Event  *event.PublicEvent
	Status *waitroom.Status
	// Wait is the estimated wait in words ("about 3 min").
	Wait string
}

// queueWait says an estimated wait in the page's language: seconds under a
// minute, whole minutes (rounded up) under an hour, hours and minutes past
// it. app.js says it the same way as the status changes.
func queueWait(lang string, seconds int64) string {
	msgs := catalogs[lang]
	if seconds < 60 {
		return translate(msgs, "queue.wait.s", max(seconds, 0))
	}
	minutes := (seconds + 59) / 60
	if minutes < 60 {
		return translate(msgs, "queue.wait.m", minutes)
	}
	return translate(msgs, "queue.wait.h", minutes/60, minutes%60)
}

// QueuePage is the public waiting page: it joins the event's queue and
// shows the place, the estimated wait and a progress bar; app.js polls the
// token's status and moves the buyer on to registration when admitted.
// Without a waiting room it goes straight to registration.
func (p *Pages) QueuePage(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, public, func(v *visit) error {
		eventID := v.r.PathValue("event_id")
		e, err := p.deps.Events.Public(v.ctx(), eventID)
		if err != nil {
			return err
		}
		client := ""
		if c, err := v.r.Cookie(queueCookie); err == nil && len(c.Value) >= 16 && len(c.Value) <= 64 && v.r.URL.Query().Get("again") == "" {
			client = c.Value
		} else {
			// A new browser, or one whose token expired and asks to join
			// again: a new client id gets a new place at the back.
			client = id.Secret(16)
			http.SetCookie(v.w, &http.Cookie{Name: queueCookie, Value: client, Path: "/e/",
				MaxAge: 24 * 3600, HttpOnly: true, Secure: p.cfg.SecureCookies, SameSite: http.SameSiteLaxMode})
		}
		st, err := p.deps.Rooms.Join(v.ctx(), eventID, client)
		if err != nil {
			return err
		}
		if st.Status == waitroom.StatusActive {
			http.Redirect(v.w, v.r, "/e/"+eventID+"/register?t="+url.QueryEscape(st.Token), http.StatusSeeOther)
			return nil
		}
		return p.render(v, http.StatusOK, "queue_wait", &view{Title: "queue.title", Data: &queuePage{Event: e, Status: st, Wait: queueWait(v.lang, st.ETASeconds)}})
	})
}
