package app

import (
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/campaign"
	"github.com/usher-events/usher/internal/gate"
	"github.com/usher-events/usher/internal/report"
	"github.com/usher-events/usher/internal/ticket"
	"github.com/usher-events/usher/internal/waitroom"
)

// op describes an operation for the OpenAPI document.
func op(method, path, id, summary, tag string) huma.Operation {
	o := huma.Operation{Method: method, Path: path, OperationID: id, Summary: summary, Tags: []string{tag}}
	if method == http.MethodDelete {
		o.DefaultStatus = http.StatusNoContent
	}
	return o
}

// answering sets the status of a POST that does not create anything.
func answering(status int, o huma.Operation) huma.Operation {
	o.DefaultStatus = status
	return o
}

// routes lists every route of the server: the /v1 operations with who may
// call them, and the pages.
func (a *App) routes() {
	h := a.server.API()
	t, ev := a.tenants, a.events

	// Platform: tenants, people, credentials, audit.
	api.Register(h, api.Public, op("POST", "/v1/signup", "signup", "Create an organization and its owner", "Platform"), t.HandleSignup)
	api.Register(h, api.Public, answering(200, op("POST", "/v1/auth/login", "login", "Sign in with email and password", "Platform")), t.HandleLogin)
	api.Register(h, api.Public, answering(200, op("POST", "/v1/auth/refresh", "refresh-token", "Exchange a refresh token for a new pair", "Platform")), t.HandleRefresh)
	api.Register(h, api.Public, answering(204, op("POST", "/v1/auth/logout", "logout", "End a login: its refresh token and every one rotated from it stop working", "Platform")), t.HandleLogout)
	api.Register(h, api.Public, op("POST", "/v1/public/invites/accept", "accept-invite", "Join an organization with an invitation", "Platform"), t.HandleAcceptInvite)
	api.Register(h, api.Anyone, op("GET", "/v1/me", "get-me", "Who am I", "Platform"), t.HandleMe)
	api.Register(h, api.Anyone, op("PATCH", "/v1/me", "update-me", "Change your own name or language", "Platform"), t.HandleUpdateMe)
	api.Register(h, api.Admin, op("POST", "/v1/api-keys", "create-api-key", "Create an API key", "Platform"), t.HandleCreateAPIKey)
	api.Register(h, api.Admin, op("GET", "/v1/api-keys", "list-api-keys", "List API keys", "Platform"), t.HandleListAPIKeys)
	api.Register(h, api.Admin, op("DELETE", "/v1/api-keys/{id}", "revoke-api-key", "Revoke an API key", "Platform"), t.HandleRevokeAPIKey)

	wh := a.webhooks
	api.Register(h, api.Admin, op("GET", "/v1/webhooks/event-types", "list-webhook-event-types", "List the event kinds webhooks can send", "Webhooks"), wh.HandleKinds)
	api.Register(h, api.Admin, op("POST", "/v1/webhooks", "create-webhook", "Register a webhook endpoint (its signing secret is in this answer only)", "Webhooks"), wh.HandleCreate)
	api.Register(h, api.Admin, op("GET", "/v1/webhooks", "list-webhooks", "List webhook endpoints", "Webhooks"), wh.HandleList)
	api.Register(h, api.Admin, op("GET", "/v1/webhooks/{endpoint_id}", "get-webhook", "Get a webhook endpoint", "Webhooks"), wh.HandleGet)
	api.Register(h, api.Admin, op("PATCH", "/v1/webhooks/{endpoint_id}", "update-webhook", "Change a webhook endpoint, or switch it off and on", "Webhooks"), wh.HandleUpdate)
	api.Register(h, api.Admin, op("DELETE", "/v1/webhooks/{endpoint_id}", "delete-webhook", "Delete a webhook endpoint", "Webhooks"), wh.HandleDelete)
	api.Register(h, api.Admin, answering(200, op("POST", "/v1/webhooks/{endpoint_id}/rotate-secret", "rotate-webhook-secret", "Give an endpoint a new signing secret (the old one also signs for 24 h)", "Webhooks")), wh.HandleRotate)
	api.Register(h, api.Admin, answering(202, op("POST", "/v1/webhooks/{endpoint_id}/ping", "ping-webhook", "Send a test delivery (webhook.ping)", "Webhooks")), wh.HandlePing)
	api.Register(h, api.Admin, op("GET", "/v1/webhooks/{endpoint_id}/deliveries", "list-webhook-deliveries", "List an endpoint's deliveries, newest first", "Webhooks"), wh.HandleDeliveries)
	api.Register(h, api.Admin, op("GET", "/v1/webhooks/{endpoint_id}/deliveries/{delivery_id}", "get-webhook-delivery", "Get a delivery with its body and every attempt", "Webhooks"), wh.HandleDelivery)
	api.Register(h, api.Admin, answering(202, op("POST", "/v1/webhooks/{endpoint_id}/deliveries/{delivery_id}/redeliver", "redeliver-webhook", "Send a delivery again", "Webhooks")), wh.HandleRedeliver)
	api.Register(h, api.Admin, op("GET", "/v1/users", "list-users", "List users", "Platform"), t.HandleListUsers)
	api.Register(h, api.Admin, op("POST", "/v1/users/invites", "invite-user", "Invite a person", "Platform"), t.HandleInvite)
	api.Register(h, api.Admin, op("PATCH", "/v1/users/{user_id}", "change-user-role", "Change a user's role", "Platform"), t.HandleChangeRole)
	api.Register(h, api.Admin, op("DELETE", "/v1/users/{user_id}", "remove-user", "Remove a user", "Platform"), t.HandleRemoveUser)
	api.Register(h, api.Admin, op("GET", "/v1/audit-log", "list-audit-log", "List the audit log", "Platform"), a.audit.ListHandler)
	api.Register(h, api.Admin, answering(200, op("POST", "/v1/personal-data/export", "export-personal-data", "Export everything the organization holds about one person (by email and/or phone)", "Platform")), a.privacy.HandleExport)
	api.Register(h, api.Admin, answering(200, op("POST", "/v1/personal-data/erase", "erase-personal-data", "Erase one person's personal data everywhere, keeping amounts and counts", "Platform")), a.privacy.HandleErase)
	api.Register(h, api.Admin, op("GET", "/v1/settings/privacy", "get-privacy-settings", "The organization's retention period for personal data", "Platform"), a.privacy.HandleGetSettings)
	api.Register(h, api.Admin, op("GET", "/v1/usage", "get-usage", "A month's usage and what it costs under the organization's tier", "Platform"), a.meter.HandleStatement)
	api.Register(h, api.Admin, op("GET", "/v1/usage/statements", "list-usage-statements", "The months with usage and their totals", "Platform"), a.meter.HandleHistory)
	api.Register(h, api.Anyone, op("GET", "/v1/tiers", "list-tiers", "The tiers with their rate limits, included units and prices", "Platform"), a.meter.HandleTiers)
	api.Register(h, api.Admin, op("GET", "/v1/settings/budget", "get-budget", "The monthly budget and the alerts it raised", "Platform"), a.meter.HandleGetBudget)
	api.Register(h, api.Admin, op("PUT", "/v1/settings/budget", "put-budget", "Set the monthly budget (alerts at 80 % and 100 %)", "Platform"), a.meter.HandlePutBudget)
	api.Register(h, api.Admin, op("PUT", "/v1/settings/privacy", "put-privacy-settings", "Set the retention period for personal data (0 keeps it)", "Platform"), a.privacy.HandlePutSettings)

	// Events.
	api.Register(h, api.Staff, op("POST", "/v1/events", "create-event", "Create an event", "Events"), ev.HandleCreate)
	api.Register(h, api.Viewer, op("GET", "/v1/events", "list-events", "List events", "Events"), ev.HandleList)
	api.Register(h, api.Viewer, op("GET", "/v1/events/{event_id}", "get-event", "Get an event", "Events"), ev.HandleGet)

	// Tickets: events, ticket types, customers, wallet, orders.
	wl, od := a.wallets, a.orders
	api.Register(h, api.Staff, op("PATCH", "/v1/events/{event_id}", "update-event", "Change an event's fields", "Events"), ev.HandlePatch)
	api.Register(h, api.Staff, answering(200, op("POST", "/v1/events/{event_id}/publish", "publish-event", "Publish a draft event", "Events")), ev.HandlePublish)
	api.Register(h, api.Staff, answering(200, op("POST", "/v1/events/{event_id}/close-sales", "close-event-sales", "Stop an event's sales", "Events")), ev.HandleCloseSales)
	api.Register(h, api.Staff, answering(200, op("POST", "/v1/events/{event_id}/reopen-sales", "reopen-event-sales", "Resume an event's sales", "Events")), ev.HandleReopenSales)
	api.Register(h, api.Staff, answering(200, op("POST", "/v1/events/{event_id}/finish", "finish-event", "Mark an event as over", "Events")), ev.HandleFinish)
	api.Register(h, api.Staff, answering(200, op("POST", "/v1/events/{event_id}/cancel", "cancel-event", "Cancel an event and its orders (wallet payments are refunded)", "Events")), ev.HandleCancel)
	api.Register(h, api.Staff, op("POST", "/v1/events/{event_id}/ticket-types", "create-ticket-type", "Add a ticket type", "Events"), ev.HandleCreateTicketType)
	api.Register(h, api.Viewer, op("GET", "/v1/events/{event_id}/ticket-types", "list-ticket-types", "List ticket types with availability", "Events"), ev.HandleListTicketTypes)
	api.Register(h, api.Staff, op("PATCH", "/v1/ticket-types/{ticket_type_id}", "update-ticket-type", "Change a ticket type's name, price, quota, sale window or limits", "Events"), ev.HandlePatchTicketType)
	api.Register(h, api.Staff, op("POST", "/v1/events/{event_id}/sessions", "create-session", "Add a session or track talk", "Events"), ev.HandleCreateSession)
	api.Register(h, api.Viewer, op("GET", "/v1/events/{event_id}/sessions", "list-sessions", "List sessions with seats taken", "Events"), ev.HandleListSessions)
	api.Register(h, api.Staff, op("PUT", "/v1/events/{event_id}/form", "set-registration-form", "Replace the registration form", "Events"), ev.HandleSetForm)
	api.Register(h, api.Viewer, op("GET", "/v1/events/{event_id}/form", "get-registration-form", "Get the registration form", "Events"), ev.HandleGetForm)
	api.Register(h, api.Public, op("GET", "/v1/public/events/{event_id}", "get-public-event", "A published event with ticket types and availability", "Events"), ev.HandlePublicGet)
	api.Register(h, api.Staff, op("POST", "/v1/customers", "create-customer", "Create a customer with a points wallet", "Customers"), wl.HandleCreateCustomer)
	api.Register(h, api.Viewer, op("GET", "/v1/customers", "list-customers", "List customers", "Customers"), wl.HandleListCustomers)
	api.Register(h, api.Viewer, op("GET", "/v1/customers/{customer_id}", "get-customer", "Get a customer", "Customers"), wl.HandleGetCustomer)
	api.Register(h, api.Staff, answering(200, op("POST", "/v1/customers/{customer_id}/wallet/charge", "charge-wallet", "Add points to a wallet", "Customers")), wl.HandleCharge)
	api.Register(h, api.Viewer, op("GET", "/v1/customers/{customer_id}/wallet", "get-wallet", "A wallet's balance and history", "Customers"), wl.HandleGetWallet)
	api.Register(h, api.Staff, op("POST", "/v1/events/{event_id}/orders", "create-order", "Hold tickets for an order", "Orders"), od.HandleCreate)
	api.Register(h, api.Viewer, op("GET", "/v1/events/{event_id}/orders", "list-orders", "List an event's orders", "Orders"), od.HandleList)
	api.Register(h, api.Viewer, op("GET", "/v1/events/{event_id}/orders.csv", "export-orders", "Download an event's orders as CSV", "Orders"), od.HandleExportOrders)
	api.Register(h, api.Viewer, op("GET", "/v1/events/{event_id}/attendees", "list-attendees", "List an event's attendees", "Orders"), od.HandleAttendees)
	api.Register(h, api.Viewer, op("GET", "/v1/events/{event_id}/attendees.csv", "export-attendees", "Download an event's attendees as CSV", "Orders"), od.HandleExportAttendees)
	api.Register(h, api.Viewer, op("GET", "/v1/orders/{order_id}", "get-order", "Get an order", "Orders"), od.HandleGet)
	api.Register(h, api.Staff, answering(200, op("POST", "/v1/orders/{order_id}/pay", "pay-order", "Pay an order with points or mark a transfer received", "Orders")), od.HandlePay)
	api.Register(h, api.Staff, answering(200, op("POST", "/v1/orders/{order_id}/cancel", "cancel-order", "Cancel an order, refund and revoke its tickets", "Orders")), od.HandleCancel)
	api.Register(h, api.Staff, answering(200, op("POST", "/v1/orders/{order_id}/approve-verification", "approve-order-verification", "Accept an order's proof", "Orders")), od.HandleApproveVerification)
	api.Register(h, api.Staff, answering(200, op("PUT", "/v1/orders/{order_id}/proof", "upload-order-proof", "Store the proof of an order waiting for verification", "Orders")), od.HandleUploadProof)
	api.Register(h, api.Viewer, op("GET", "/v1/orders/{order_id}/proof", "get-order-proof", "Download an order's proof file", "Orders"), od.HandleGetProof)
	api.Register(h, api.Staff, answering(200, op("POST", "/v1/orders/{order_id}/reject-verification", "reject-order-verification", "Refuse an order's proof", "Orders")), od.HandleRejectVerification)

	// Seat maps and rankings. The public seat list is served from a
	// per-node snapshot at most half a second old (see internal/seat).
	st := a.seats
	api.Register(h, api.Staff, op("POST", "/v1/events/{event_id}/seats", "create-seats", "Add seats to an event's seat map", "Seats"), st.HandleCreate)
	api.Register(h, api.Viewer, op("GET", "/v1/events/{event_id}/seats", "list-seats", "List an event's seats with their status", "Seats"), st.HandleList)
	api.Register(h, api.Staff, answering(200, op("DELETE", "/v1/events/{event_id}/seats", "remove-seats", "Remove a section's or a row's seats that no order held", "Seats")), st.HandleRemove)
	api.Register(h, api.Staff, op("PATCH", "/v1/events/{event_id}/seats", "retype-seats", "Give a section's or a row's seats another ticket type (none held or sold)", "Seats"), st.HandleRetype)
	api.Register(h, api.Public, op("GET", "/v1/public/events/{event_id}/seats", "get-public-seats", "A published event's seats with their status", "Seats"), st.HandlePublicList)
	api.Register(h, api.Public, op("GET", "/v1/public/events/{event_id}/seats/best-available", "get-best-seats", "Suggest the best adjacent available seats (no hold)", "Seats"), st.HandleBestAvailable)
	api.Register(h, api.Public, op("GET", "/v1/public/rankings", "get-rankings", "Top events by paid orders over the last 30 minutes", "Rankings"), a.ranks.HandleRankings)
	api.Register(h, api.Staff, op("POST", "/v1/events/{event_id}/attendees/import", "import-attendees", "Create paid orders with tickets from a CSV file (all or nothing)", "Orders"), od.HandleImport)
	api.Register(h, api.Staff, op("POST", "/v1/customers/{customer_id}/wallet/access-code", "issue-wallet-access-code", "Make the code a customer pays with on the public pages (shown once)", "Customers"), wl.HandleIssueAccessCode)
	// Public orders: the buyer holds the order's access key, and proves a
	// wallet with its access code.
	api.Register(h, api.Public, op("POST", "/v1/public/events/{event_id}/orders", "create-public-order", "Register and hold tickets as a public buyer", "Orders"), od.HandleCreatePublic)
	api.Register(h, api.Public, op("GET", "/v1/public/orders/{order_id}", "get-public-order", "An order, for the holder of its access key", "Orders"), od.HandleGetPublic)
	api.Register(h, api.Public, answering(200, op("PUT", "/v1/public/orders/{order_id}/proof", "upload-public-order-proof", "Send the proof for an order waiting for verification", "Orders")), od.HandleUploadProofPublic)
	api.Register(h, api.Public, answering(200, op("POST", "/v1/public/orders/{order_id}/pay", "pay-public-order", "Pay an order with a wallet's access code", "Orders")), od.HandlePayPublic)

	// Waiting room. Joining and status checks are public and never touch
	// the database; orders on an event whose room is on need an active token.
	wr := a.rooms
	api.Register(h, api.Staff, answering(200, op("PUT", "/v1/events/{event_id}/waiting-room", "configure-waiting-room", "Set an event's waiting room", "Waiting room")), wr.HandleConfigure)
	api.Register(h, api.Viewer, op("GET", "/v1/events/{event_id}/waiting-room", "get-waiting-room", "Get an event's waiting room and its counts", "Waiting room"), wr.HandleGet)
	api.Register(h, api.Public, op("POST", "/v1/public/events/{event_id}/queue", "join-queue", "Join an event's queue", "Waiting room"), wr.HandleJoin)
	api.Register(h, api.Public, op("GET", "/v1/public/queue/{token}", "get-queue-status", "Where a queue token stands", "Waiting room"), wr.HandleStatus)
	api.Register(h, api.Public, waitroom.EventsOperation(h, op("GET", "/v1/public/queue/{token}/events", "stream-queue-status", "A queue token's status as Server-Sent Events", "Waiting room")), wr.HandleEvents)

	// Tickets: codes, keys, images. The files under /v1/public/tickets/ need
	// no credentials: the ticket id is unguessable and is the permission.
	tk := a.tickets
	api.Register(h, api.Public, op("GET", "/v1/public/events/{event_id}/ticket-keys", "get-public-ticket-keys", "An event's public keys, for gates that verify codes offline", "Tickets"), tk.HandlePublicKeys)
	api.Register(h, api.Gate, op("GET", "/v1/events/{event_id}/ticket-keys", "list-ticket-keys", "An event's ticket signing keys (public halves)", "Tickets"), tk.HandleKeys)
	api.Register(h, api.Admin, op("POST", "/v1/events/{event_id}/ticket-keys/rotate", "rotate-ticket-key", "Make a new signing key; old codes keep verifying", "Tickets"), tk.HandleRotateKey)
	api.Register(h, api.Admin, op("DELETE", "/v1/events/{event_id}/ticket-keys/{kid}", "remove-ticket-key", "Remove a retired key; the codes it signed stop verifying", "Tickets"), tk.HandleRemoveKey)
	api.Register(h, api.Gate, op("GET", "/v1/events/{event_id}/revocations", "list-revocations", "An event's revoked tickets, incrementally with since", "Tickets"), tk.HandleRevocations)
	api.Register(h, api.Public, ticket.Binary("image/png", op("GET", "/v1/public/tickets/{ticket_id}/qr.png", "get-ticket-qr-png", "A ticket's QR code as PNG", "Tickets")), tk.HandleQRPNG)
	api.Register(h, api.Public, ticket.Binary("image/svg+xml", op("GET", "/v1/public/tickets/{ticket_id}/qr.svg", "get-ticket-qr-svg", "A ticket's QR code as SVG", "Tickets")), tk.HandleQRSVG)
	api.Register(h, api.Public, ticket.Binary("application/pdf", op("GET", "/v1/public/tickets/{ticket_id}/ticket.pdf", "get-ticket-pdf", "A ticket as PDF (Korean and English)", "Tickets")), tk.HandlePDF)
	api.Register(h, api.Public, ticket.Binary("text/calendar", op("GET", "/v1/public/tickets/{ticket_id}/ticket.ics", "get-ticket-ics", "A ticket's event as an iCalendar file", "Tickets")), tk.HandleICS)

	// Campaigns. Organizer writes need staff, reads and reports a viewer;
	// participants use /v1/public/…, and outside systems /apidata/… with
	// Basic credentials checked inside the handler.
	cm := a.campaigns
	api.Register(h, api.Staff, op("POST", "/v1/schools", "create-school", "Create a school", "Campaigns"), cm.HandleCreateSchool)
	api.Register(h, api.Viewer, op("GET", "/v1/schools", "list-schools", "List schools", "Campaigns"), cm.HandleListSchools)
	api.Register(h, api.Staff, op("POST", "/v1/schools/{school_id}/departments", "create-department", "Create a department of a school", "Campaigns"), cm.HandleCreateDepartment)
	api.Register(h, api.Viewer, op("GET", "/v1/schools/{school_id}/departments", "list-departments", "List a school's departments", "Campaigns"), cm.HandleListDepartments)
	api.Register(h, api.Staff, op("POST", "/v1/campaigns", "create-campaign", "Create a campaign", "Campaigns"), cm.HandleCreateCampaign)
	api.Register(h, api.Viewer, op("GET", "/v1/campaigns", "list-campaigns", "List campaigns", "Campaigns"), cm.HandleListCampaigns)
	api.Register(h, api.Viewer, op("GET", "/v1/campaigns/{campaign_id}", "get-campaign", "Get a campaign", "Campaigns"), cm.HandleGetCampaign)
	api.Register(h, api.Staff, answering(200, op("POST", "/v1/campaigns/{campaign_id}/close", "close-campaign", "Close a campaign now", "Campaigns")), cm.HandleCloseCampaign)
	api.Register(h, api.Viewer, op("GET", "/v1/campaigns/{campaign_id}/channels", "list-campaign-channels", "List a campaign's channel links", "Campaigns"), cm.HandleChannels)
	api.Register(h, api.Viewer, op("GET", "/v1/campaigns/{campaign_id}/channels/{channel}/qr.png", "get-channel-qr", "Printable QR code of a channel link", "Campaigns"), cm.HandleChannelQR)
	api.Register(h, api.Staff, op("POST", "/v1/campaigns/{campaign_id}/gifts", "create-gift", "Add a gift with stock", "Campaigns"), cm.HandleCreateGift)
	api.Register(h, api.Viewer, op("GET", "/v1/campaigns/{campaign_id}/gifts", "list-gifts", "List a campaign's gifts", "Campaigns"), cm.HandleListGifts)
	api.Register(h, api.Viewer, op("GET", "/v1/campaigns/{campaign_id}/participations", "list-participations", "List a campaign's participations", "Campaigns"), cm.HandleListParticipations)
	api.Register(h, api.Viewer, op("GET", "/v1/participations/{participation_id}", "get-participation", "Get a participation", "Campaigns"), cm.HandleGetParticipation)
	api.Register(h, api.Staff, answering(200, op("POST", "/v1/participations/{participation_id}/approve", "approve-participation", "Approve a participation", "Campaigns")), cm.HandleApprove)
	api.Register(h, api.Staff, answering(200, op("POST", "/v1/participations/{participation_id}/reject", "reject-participation", "Reject a participation", "Campaigns")), cm.HandleReject)
	api.Register(h, api.Staff, answering(200, op("POST", "/v1/participations/{participation_id}/hand-out", "hand-out-gift", "Record a handed-out gift", "Campaigns")), cm.HandleHandOut)
	api.Register(h, api.Staff, op("POST", "/v1/campaigns/{campaign_id}/draws", "create-draw", "Freeze the eligible list and commit to a seed", "Campaigns"), cm.HandleCreateDraw)
	api.Register(h, api.Viewer, op("GET", "/v1/campaigns/{campaign_id}/draws/{draw_id}", "get-draw", "Get a draw", "Campaigns"), cm.HandleGetDraw)
	api.Register(h, api.Staff, answering(200, op("POST", "/v1/campaigns/{campaign_id}/draws/{draw_id}/run", "run-draw", "Pick the winners and reveal the seed", "Campaigns")), cm.HandleRunDraw)
	api.Register(h, api.Admin, op("POST", "/v1/external-credentials", "create-external-credential", "Create Basic credentials for external records", "Campaigns"), cm.HandleCreateCredential)
	api.Register(h, api.Admin, op("GET", "/v1/external-credentials", "list-external-credentials", "List external credentials", "Campaigns"), cm.HandleListCredentials)
	api.Register(h, api.Admin, op("DELETE", "/v1/external-credentials/{credential_id}", "revoke-external-credential", "Revoke external credentials", "Campaigns"), cm.HandleRevokeCredential)
	api.Register(h, api.Viewer, op("GET", "/v1/external-records", "list-external-records", "List archived external records", "Campaigns"), cm.HandleListExternalRecords)
	api.Register(h, api.Public, op("GET", "/v1/public/campaigns/{campaign_id}", "get-public-campaign", "A campaign as participants see it", "Campaigns"), cm.HandleGetPublicCampaign)
	api.Register(h, api.Public, op("POST", "/v1/public/campaigns/{campaign_id}/participations", "participate", "Take part in a campaign", "Campaigns"), cm.HandleParticipate)
	api.Register(h, api.Public, answering(200, op("POST", "/v1/public/participations/{participation_id}/play", "play", "Play the game, decided on the server", "Campaigns")), cm.HandlePlay)
	api.Register(h, api.Public, op("GET", "/v1/public/draws/{draw_id}", "get-public-draw", "A draw for anyone to verify", "Campaigns"), cm.HandleGetPublicDraw)
	api.Register(h, api.Viewer, report.Operation(h, op("GET", "/v1/campaigns/{campaign_id}/report", "get-campaign-report", "A campaign's report as JSON, CSV, XLSX or PDF", "Campaigns")), a.reports.HandleReport)
	api.Register(h, api.Public, op("POST", "/apidata/external_record", "external-record", "Push a participation record (HTTP Basic auth)", "Campaigns"), cm.HandleExternalRecord)
	campaign.AcceptEmptyRecords(h) // an empty record is archived as rejected, like any other bad one
	api.Register(h, api.Staff, op("PUT", "/v1/campaigns/{campaign_id}", "update-campaign", "Replace a campaign's settings", "Campaigns"), cm.HandleUpdateCampaign)

	// Messages and jobs.
	n, jobs := a.notify, a.jobs
	api.Register(h, api.Viewer, op("GET", "/v1/message-templates/{kind}/{lang}", "get-message-template", "Get a message template (the tenant's or the built-in one)", "Messages"), n.HandleGetTemplate)
	api.Register(h, api.Staff, op("PUT", "/v1/message-templates/{kind}/{lang}", "put-message-template", "Override a message template", "Messages"), n.HandlePutTemplate)
	api.Register(h, api.Viewer, answering(200, op("POST", "/v1/message-templates/{kind}/{lang}/preview", "preview-message-template", "Render a template on sample data", "Messages")), n.HandlePreview)
	api.Register(h, api.Viewer, op("GET", "/v1/messages", "list-messages", "List sent messages and the development outbox", "Messages"), n.HandleListMessages)
	api.Register(h, api.Admin, op("GET", "/v1/admin/dead-jobs", "list-dead-jobs", "List background jobs that used up their attempts", "Messages"), jobs.HandleListDead)
	api.Register(h, api.Admin, answering(200, op("POST", "/v1/admin/dead-jobs/{job_id}/replay", "replay-dead-job", "Run a dead job again with fresh attempts", "Messages")), jobs.HandleReplay)

	// Gates and check-in. Gate devices (role gate) scan, sync and push;
	// organizers set gates up and watch the numbers (the live stream never
	// ends by itself); the scanner page at /scan asks for a gate key once.
	gt := a.gates
	api.Register(h, api.Staff, op("POST", "/v1/events/{event_id}/gates", "create-gate", "Add a gate to an event", "Gates"), gt.HandleCreateGate)
	api.Register(h, api.Gate, op("GET", "/v1/events/{event_id}/gates", "list-gates", "List an event's gates", "Gates"), gt.HandleListGates)
	api.Register(h, api.Gate, op("GET", "/v1/gates/{gate_id}", "get-gate", "Get a gate", "Gates"), gt.HandleGetGate)
	api.Register(h, api.Staff, op("PATCH", "/v1/gates/{gate_id}", "update-gate", "Change a gate's name, kind, ticket types or hours", "Gates"), gt.HandlePatchGate)
	api.Register(h, api.Gate, op("GET", "/v1/events/{event_id}/gate-settings", "get-gate-settings", "An event's re-entry policy and staff badge types", "Gates"), gt.HandleGetSettings)
	api.Register(h, api.Staff, answering(200, op("PUT", "/v1/events/{event_id}/gate-settings", "put-gate-settings", "Set an event's re-entry policy and staff badge types", "Gates")), gt.HandlePutSettings)
	api.Register(h, api.Gate, answering(200, op("POST", "/v1/checkins", "check-in", "Scan a ticket at a gate", "Gates")), gt.HandleCheckin)
	api.Register(h, api.Gate, answering(200, op("POST", "/v1/events/{event_id}/checkins/batch", "push-checkins", "Push scans a gate node decided offline (idempotent by scan_id)", "Gates")), gt.HandleBatch)
	api.Register(h, api.Gate, op("GET", "/v1/events/{event_id}/checkins", "list-checkins", "List an event's recorded scans", "Gates"), gt.HandleCheckins)
	api.Register(h, api.Gate, op("GET", "/v1/events/{event_id}/checkins/stats", "get-checkin-stats", "An event's live check-in numbers", "Gates"), gt.HandleStats)
	api.Register(h, api.Gate, op("GET", "/v1/events/{event_id}/checkins/conflicts", "list-checkin-conflicts", "Tickets admitted twice while apart", "Gates"), gt.HandleConflicts)
	api.Register(h, api.Gate, op("GET", "/v1/events/{event_id}/gate-sync", "gate-sync", "What a gate node keeps: tickets, gates, settings (incremental with since)", "Gates"), gt.HandleSync)
	api.Register(h, api.Staff, op("POST", "/v1/devices/pairing-codes", "create-pairing-code", "Make a one-time code to pair a scanner device", "Gates"), gt.HandleCreatePairingCode)
	api.Register(h, api.Public, op("POST", "/v1/public/devices/pair", "pair-device", "Redeem a pairing code for device credentials", "Gates"), gt.HandlePair)
	api.Register(h, api.Gate, op("GET", "/v1/devices", "list-devices", "List scanner devices with their health", "Gates"), gt.HandleListDevices)
	api.Register(h, api.Staff, op("PATCH", "/v1/devices/{device_id}", "update-device", "Rename a device or assign it to a gate", "Gates"), gt.HandlePatchDevice)
	api.Register(h, api.Gate, answering(204, op("POST", "/v1/devices/{device_id}/heartbeat", "device-heartbeat", "A device's battery and state", "Gates")), gt.HandleDeviceHeartbeat)
	api.Register(h, api.Staff, op("POST", "/v1/events/{event_id}/beacons", "create-beacon", "Register a BLE beacon", "Gates"), gt.HandleCreateBeacon)
	api.Register(h, api.Gate, op("GET", "/v1/events/{event_id}/beacons", "list-beacons", "List an event's beacons with their health", "Gates"), gt.HandleListBeacons)
	api.Register(h, api.Gate, answering(204, op("POST", "/v1/beacons/{beacon_id}/heartbeat", "beacon-heartbeat", "A beacon's battery, RSSI and tx power", "Gates")), gt.HandleBeaconHeartbeat)
	api.Register(h, api.Gate, op("GET", "/v1/events/{event_id}/alerts", "list-gate-alerts", "Open device and beacon alerts", "Gates"), gt.HandleAlerts)
	api.Register(h, api.Anyone, gate.LiveOperation(h, op("GET", "/v1/events/{event_id}/checkins/live", "stream-checkin-stats", "An event's live check-in numbers as Server-Sent Events", "Gates")), gt.HandleLive)
	api.Register(h, api.Gate, answering(200, op("POST", "/v1/scan/decode", "decode-scan", "Read the QR code in a camera frame", "Gates")), gt.HandleDecode)
	a.server.Mux().Handle("GET /scan", gate.ScannerPage("/scan"))
	a.server.Mux().Handle("GET /scan/", gate.ScannerPage("/scan"))

	// Pages. The web page shell: sign-up, login, invitations and the
	// signed-in settings. Each handler checks the session, role and CSRF
	// token itself (see internal/web).
	mux, p := a.server.Mux(), a.pages
	mux.HandleFunc("GET /static/", p.Static)
	mux.HandleFunc("GET /{$}", p.Home)
	mux.HandleFunc("POST /lang", p.SetLanguage)
	mux.HandleFunc("GET /signup", p.SignupPage)
	mux.HandleFunc("POST /signup", p.Signup)
	mux.HandleFunc("GET /login", p.LoginPage)
	mux.HandleFunc("POST /login", p.Login)
	mux.HandleFunc("POST /logout", p.Logout)
	mux.HandleFunc("GET /invite/{token}", p.InvitePage)
	mux.HandleFunc("POST /invite/{token}", p.AcceptInvite)
	mux.HandleFunc("GET /app", p.Dashboard)
	mux.HandleFunc("GET /app/{section}", p.ComingSoon)
	// Events and tickets: organizer pages, then the public event,
	// registration, waiting and "my tickets" pages.
	mux.HandleFunc("GET /app/events", p.Events)
	mux.HandleFunc("GET /app/events/new", p.NewEvent)
	mux.HandleFunc("POST /app/events", p.CreateEvent)
	mux.HandleFunc("GET /app/events/{event_id}", p.Event)
	mux.HandleFunc("GET /app/events/{event_id}/edit", p.EditEvent)
	mux.HandleFunc("POST /app/events/{event_id}", p.UpdateEvent)
	mux.HandleFunc("POST /app/events/{event_id}/status", p.MoveEvent)
	mux.HandleFunc("POST /app/events/{event_id}/ticket-types", p.CreateTicketType)
	mux.HandleFunc("POST /app/events/{event_id}/seats", p.CreateSeats)
	mux.HandleFunc("POST /app/events/{event_id}/seats/remove", p.RemoveSeats)
	mux.HandleFunc("POST /app/events/{event_id}/seats/retype", p.RetypeSeats)
	mux.HandleFunc("GET /app/events/{event_id}/ticket-types/{ticket_type_id}", p.EditTicketType)
	mux.HandleFunc("POST /app/events/{event_id}/ticket-types/{ticket_type_id}", p.UpdateTicketType)
	mux.HandleFunc("POST /app/events/{event_id}/sessions", p.CreateSession)
	mux.HandleFunc("GET /app/events/{event_id}/form", p.EventForm)
	mux.HandleFunc("POST /app/events/{event_id}/form", p.SaveEventForm)
	mux.HandleFunc("POST /app/events/{event_id}/waiting-room", p.ConfigureWaitingRoom)
	mux.HandleFunc("GET /app/events/{event_id}/orders", p.EventOrders)
	mux.HandleFunc("GET /app/events/{event_id}/attendees", p.EventAttendees)
	mux.HandleFunc("GET /app/events/{event_id}/orders.csv", p.ExportOrders)
	mux.HandleFunc("GET /app/events/{event_id}/attendees.csv", p.ExportAttendees)
	mux.HandleFunc("POST /app/events/{event_id}/attendees/import", p.ImportAttendees)
	mux.HandleFunc("GET /app/orders", p.Orders)
	// One order, and the staff actions on it (each a CSRF-checked form).
	mux.HandleFunc("GET /app/orders/{order_id}", p.OrderDetail)
	mux.HandleFunc("GET /app/orders/{order_id}/proof", p.OrderProof)
	mux.HandleFunc("POST /app/orders/{order_id}/cancel", p.CancelOrder)
	mux.HandleFunc("POST /app/orders/{order_id}/approve", p.ApproveOrder)
	mux.HandleFunc("POST /app/orders/{order_id}/reject", p.RejectOrder)
	mux.HandleFunc("POST /app/orders/{order_id}/mark-paid", p.MarkOrderPaid)
	mux.HandleFunc("GET /app/customers", p.Customers)
	mux.HandleFunc("POST /app/customers", p.CreateCustomer)
	mux.HandleFunc("POST /app/customers/{customer_id}/charge", p.ChargeCustomer)
	mux.HandleFunc("POST /app/customers/{customer_id}/access-code", p.IssueAccessCode)
	mux.HandleFunc("GET /app/messages", p.Messages)
	mux.HandleFunc("GET /app/messages/{kind}/{lang}", p.MessageTemplate)
	mux.HandleFunc("POST /app/messages/{kind}/{lang}", p.SaveMessageTemplate)
	mux.HandleFunc("POST /app/messages/{kind}/{lang}/preview", p.PreviewMessageTemplate)
	mux.HandleFunc("GET /e/{event_id}", p.PublicEvent)
	mux.HandleFunc("GET /e/{event_id}/register", p.RegisterPage)
	mux.HandleFunc("POST /e/{event_id}/register", p.Register)
	mux.HandleFunc("GET /e/{event_id}/queue", p.QueuePage)
	mux.HandleFunc("GET /o/{order_id}", p.OrderPage)
	mux.HandleFunc("POST /o/{order_id}/pay", p.PayOrder)
	mux.HandleFunc("POST /o/{order_id}/proof", p.UploadProof)
	mux.HandleFunc("GET /app/", p.NotFound)
	mux.HandleFunc("GET /app/settings", p.Settings)
	mux.HandleFunc("GET /app/settings/users", p.Users)
	mux.HandleFunc("POST /app/settings/users/invite", p.InviteUser)
	mux.HandleFunc("POST /app/settings/users/{user_id}/role", p.ChangeRole)
	mux.HandleFunc("POST /app/settings/users/{user_id}/remove", p.RemoveUser)
	mux.HandleFunc("GET /app/settings/api-keys", p.APIKeys)
	mux.HandleFunc("POST /app/settings/api-keys", p.CreateAPIKey)
	mux.HandleFunc("POST /app/settings/api-keys/{key_id}/revoke", p.RevokeAPIKey)
	mux.HandleFunc("GET /app/settings/webhooks", p.Webhooks)
	mux.HandleFunc("POST /app/settings/webhooks", p.CreateWebhook)
	mux.HandleFunc("GET /app/settings/webhooks/{endpoint_id}", p.Webhook)
	mux.HandleFunc("POST /app/settings/webhooks/{endpoint_id}/ping", p.PingWebhook)
	mux.HandleFunc("POST /app/settings/webhooks/{endpoint_id}/rotate-secret", p.RotateWebhookSecret)
	mux.HandleFunc("POST /app/settings/webhooks/{endpoint_id}/switch-off", p.SwitchOffWebhook)
	mux.HandleFunc("POST /app/settings/webhooks/{endpoint_id}/switch-on", p.SwitchOnWebhook)
	mux.HandleFunc("POST /app/settings/webhooks/{endpoint_id}/delete", p.DeleteWebhook)
	mux.HandleFunc("GET /app/settings/webhooks/{endpoint_id}/deliveries/{delivery_id}", p.WebhookDelivery)
	mux.HandleFunc("POST /app/settings/webhooks/{endpoint_id}/deliveries/{delivery_id}/redeliver", p.RedeliverWebhook)
	// Personal data: the person's email and phone are posted, never put in
	// a URL.
	mux.HandleFunc("GET /app/settings/privacy", p.PrivacySettings)
	mux.HandleFunc("GET /app/settings/failed-jobs", p.FailedJobs)
	mux.HandleFunc("POST /app/settings/failed-jobs/{job_id}/replay", p.ReplayJob)
	mux.HandleFunc("POST /app/settings/privacy/retention", p.SaveRetention)
	mux.HandleFunc("POST /app/settings/privacy/lookup", p.FindPerson)
	mux.HandleFunc("POST /app/settings/privacy/export", p.ExportPerson)
	mux.HandleFunc("POST /app/settings/privacy/erase", p.ErasePerson)
	// Usage: a month's statement (?period=2026-12), the budget, the tiers.
	mux.HandleFunc("GET /app/settings/usage", p.UsageSettings)
	mux.HandleFunc("POST /app/settings/usage/budget", p.SaveBudget)

	// Campaign pages: the public landing page (form, game, result) and draw
	// check, and the organizer's pages. The live counts are a stream of
	// server-sent events; QR codes, charts and report files are served to
	// the signed-in browser here because <img> and download links cannot
	// send the API's bearer token.
	mux.HandleFunc("GET /c/{campaign_id}", p.Landing)
	mux.HandleFunc("POST /c/{campaign_id}", p.Participate)
	mux.HandleFunc("GET /c/{campaign_id}/p/{participation_id}", p.PlayPage)
	mux.HandleFunc("POST /c/{campaign_id}/p/{participation_id}", p.Play)
	mux.HandleFunc("GET /d/{draw_id}", p.PublicDraw)
	mux.HandleFunc("GET /app/campaigns", p.Campaigns)
	mux.HandleFunc("GET /app/campaigns/new", p.NewCampaignPage)
	mux.HandleFunc("POST /app/campaigns/new", p.CreateCampaign)
	mux.HandleFunc("GET /app/campaigns/{campaign_id}", p.Campaign)
	mux.HandleFunc("GET /app/campaigns/{campaign_id}/live", p.LiveCounts)
	mux.HandleFunc("GET /app/campaigns/{campaign_id}/edit", p.EditCampaignPage)
	mux.HandleFunc("POST /app/campaigns/{campaign_id}/edit", p.UpdateCampaign)
	mux.HandleFunc("POST /app/campaigns/{campaign_id}/close", p.CloseCampaign)
	mux.HandleFunc("GET /app/campaigns/{campaign_id}/gifts", p.Gifts)
	mux.HandleFunc("POST /app/campaigns/{campaign_id}/gifts", p.AddGift)
	mux.HandleFunc("GET /app/campaigns/{campaign_id}/participants", p.Participants)
	mux.HandleFunc("POST /app/participations/{participation_id}/{action}", p.DecideParticipation)
	mux.HandleFunc("GET /app/campaigns/{campaign_id}/channels", p.Channels)
	mux.HandleFunc("GET /app/campaigns/{campaign_id}/channels/{channel}/qr.png", p.ChannelQR)
	mux.HandleFunc("GET /app/campaigns/{campaign_id}/draws", p.Draws)
	mux.HandleFunc("POST /app/campaigns/{campaign_id}/draws", p.CreateDraw)
	mux.HandleFunc("GET /app/campaigns/{campaign_id}/draws/{draw_id}", p.Draw)
	mux.HandleFunc("POST /app/campaigns/{campaign_id}/draws/{draw_id}", p.RunDraw)
	mux.HandleFunc("GET /app/campaigns/{campaign_id}/report", p.Report)
	mux.HandleFunc("GET /app/campaigns/{campaign_id}/report/charts/{chart}", p.ReportChart)
	mux.HandleFunc("GET /app/campaigns/{campaign_id}/report/download", p.ReportDownload)
	mux.HandleFunc("GET /app/schools", p.Schools)

	// Gate pages: an event's gates, policy, devices and beacons, and the
	// live dashboard. The dashboard's stream checks the page session (an
	// EventSource cannot send the bearer token /v1/…/checkins/live needs).
	mux.HandleFunc("GET /app/gates", p.GatesIndex)
	mux.HandleFunc("GET /app/events/{event_id}/gates", p.EventGates)
	mux.HandleFunc("POST /app/events/{event_id}/gates", p.CreateGate)
	mux.HandleFunc("POST /app/events/{event_id}/gates/settings", p.SaveGateSettings)
	mux.HandleFunc("POST /app/events/{event_id}/gates/pairing-codes", p.CreatePairingCode)
	mux.HandleFunc("POST /app/events/{event_id}/gates/beacons", p.CreateBeacon)
	mux.HandleFunc("GET /app/events/{event_id}/gates/live", p.GatesLive)
	mux.HandleFunc("GET /app/events/{event_id}/gates/live/stream", p.GatesLiveStream)
	mux.HandleFunc("POST /app/schools", p.AddSchool)
}
