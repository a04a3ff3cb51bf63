package web

import (
	"net/http"
	"slices"

	"github.com/usher-events/usher/internal/fault"
)

// section is an item of the signed-in navigation.
type section struct {
	// Key names the section in URLs (/app/{key}) and message keys.
	Key  string
	Href string
	// Ready is false for domains whose pages do not exist yet; they show a
	// "coming soon" page rather than pretend.
	Ready bool
	// Admin sections are shown to owners and admins only.
	Admin bool
}

// sections is the navigation, in order.
var sections = []section{
	{Key: "dashboard", Href: "/app", Ready: true},
	{Key: "events", Href: "/app/events", Ready: true},
	{Key: "orders", Href: "/app/orders", Ready: true},
	{Key: "seats", Href: "/app/seats"},
	{Key: "gates", Href: "/app/gates", Ready: true},
	{Key: "campaigns", Href: "/app/campaigns", Ready: true},
	{Key: "reports", Href: "/app/reports"},
	{Key: "settings", Href: "/app/settings/users", Ready: true, Admin: true},
}

// Sections lists the navigation items the signed-in user may use.
func (vw *view) Sections() []section {
	var out []section
	for _, s := range sections {
		if !s.Admin || vw.IsAdmin {
			out = append(out, s)
		}
	}
	return out
}

// Dashboard is the signed-in home: an overview of what the organization
// can do, and where each part stands.
func (p *Pages) Dashboard(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, member, func(v *visit) error {
		return p.render(v, http.StatusOK, "dashboard", &view{Title: "nav.dashboard", Nav: "dashboard"})
	})
}

// ComingSoon answers the sections whose pages are still to come.
func (p *Pages) ComingSoon(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, member, func(v *visit) error {
		key := v.r.PathValue("section")
		i := slices.IndexFunc(sections, func(s section) bool { return s.Key == key && !s.Ready })
		if i < 0 {
			return fault.New(fault.NotFound, "no page %s", v.r.URL.Path)
		}
		return p.render(v, http.StatusOK, "soon", &view{Title: "nav." + key, Nav: key, Data: sections[i]})
	})
}

// Settings opens the first settings page.
func (p *Pages) Settings(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, manager, func(v *visit) error {
		http.Redirect(v.w, v.r, "/app/settings/users", http.StatusSeeOther)
		return nil
	})
}

// NotFound answers unknown paths under /app with a page rather than the
// API's problem document.
func (p *Pages) NotFound(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, member, func(v *visit) error {
		return fault.New(fault.NotFound, "no page %s", v.r.URL.Path)
	})
}
