package web

// The campaigns page group: the public landing page (form, game, result),
// the draw verification page, and the organizer pages for schools,
// campaigns, gifts, participants, draws and reports.

// campaignPageNames are the group's templates.
var campaignPageNames = []string{}
