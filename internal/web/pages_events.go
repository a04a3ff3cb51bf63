package web

// The events and tickets page group: organizer pages for events, ticket
// types, forms, message templates, orders and attendees, and the public
// event, checkout, waiting room and "my tickets" pages.

// eventPageNames are the group's templates.
var eventPageNames = []string{}
