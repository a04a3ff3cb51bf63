// Package fault is Usher's error vocabulary: machine codes that know nothing of
// HTTP, a message that is safe to show a client, and a cause for the log.
//
// Domains return *fault.Error values; the api package maps each Code to an
// HTTP status in one table and renders problem+json.
package fault

import (
	"errors"
	"fmt"
)

// Code is a stable, machine-readable error code. Integrators match on it.
type Code string

// Codes shared by every domain. Domains may define more codes of their own;
// each code must be listed in the api package's status table.
const (
	Internal         Code = "internal"
	Invalid          Code = "invalid_request"
	Validation       Code = "validation_failed"
	NotFound         Code = "not_found"
	Conflict         Code = "conflict"
	Unauthorized     Code = "unauthorized"
	Forbidden        Code = "forbidden"
	TooLarge         Code = "request_too_large"
	RateLimited      Code = "rate_limited"
	Unavailable      Code = "unavailable"
	NotAllowed       Code = "method_not_allowed"
	NotAcceptable    Code = "not_acceptable"
	UnsupportedMedia Code = "unsupported_media_type"
	IdempotencyUse   Code = "idempotency_key_in_use"
	IdempotencyRe    Code = "idempotency_key_reused"
	// Canceled is a request whose client went away before the answer.
	Canceled Code = "request_canceled"

	// Codes of the platform (tenant) domain.
	EmailTaken         Code = "email_taken"
	WeakPassword       Code = "weak_password"
	InvalidCredentials Code = "invalid_credentials"
	TooManyAttempts    Code = "too_many_attempts"
	InvalidToken       Code = "invalid_token"
	LastOwner          Code = "last_owner"

	// Codes of the campaign and report domains.
	DuplicateParticipation Code = "duplicate_participation"
	CampaignNotActive      Code = "campaign_not_active"
	AlreadyPlayed          Code = "already_played"
	OutOfStock             Code = "out_of_stock"
	GameLocked             Code = "game_locked"
	FontUnavailable        Code = "font_unavailable"

	// Codes of commerce: events, ticket types, wallets and orders.
	SoldOut              Code = "sold_out"
	SeatUnavailable      Code = "seat_unavailable"
	HoldExpired          Code = "hold_expired"
	InsufficientPoints   Code = "insufficient_points"
	InvalidTransition    Code = "invalid_transition"
	EventNotPublished    Code = "event_not_published"
	SalesNotOpen         Code = "sales_not_open"
	VerificationRequired Code = "verification_required"
	SessionFull          Code = "session_full"

	// Codes of tickets and check-in (font_unavailable above also covers PDF tickets).
	InvalidTicket Code = "invalid_ticket"
	TicketRevoked Code = "ticket_revoked"
	// Check-in at the gates.
	AlreadyCheckedIn Code = "already_checked_in"
	WrongGate        Code = "wrong_gate"
	GateClosed       Code = "gate_closed"
	NotValidYet      Code = "not_valid_yet"
	NotInside        Code = "not_inside"

	// Codes of the waiting room.
	QueueTokenRequired Code = "queue_token_required"
	QueueTokenInvalid  Code = "queue_token_invalid"

	// Codes of webhooks.
	WebhookURLNotAllowed Code = "webhook_url_not_allowed"
)

// FieldError describes one invalid field of a request.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is an error with a machine code, a client-safe message and an
// optional underlying cause that is only ever logged.
type Error struct {
	Code    Code
	Message string
	Fields  []FieldError
	// RetryAfter, when positive, tells the client how many seconds to wait.
	RetryAfter int
	Err        error
}

// Error implements error. It includes the cause, so it must not be shown to a
// client; Message is the client-safe part.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// New returns an error with a code and a client-safe message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an error with a code, a client-safe message and a cause.
func Wrap(err error, code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// Fields returns a validation error listing the invalid fields.
func Fields(fields ...FieldError) *Error {
	msg := "the request has invalid fields"
	if len(fields) == 1 {
		msg = fields[0].Field + ": " + fields[0].Message
	}
	return &Error{Code: Validation, Message: msg, Fields: fields}
}

// Field returns a validation error for one field.
func Field(field, message string) *Error {
	return Fields(FieldError{Field: field, Message: message})
}

// CodeOf returns the code of err, Internal for errors without one, and ""
// for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// Is reports whether err carries the code.
func Is(err error, code Code) bool { return CodeOf(err) == code }

// Check collects field errors while validating a request.
type Check struct{ fields []FieldError }

// Add records a field error when bad is true.
func (c *Check) Add(bad bool, field, message string) {
	if bad {
		c.fields = append(c.fields, FieldError{Field: field, Message: message})
	}
}

// Err returns the validation error, or nil when every check passed.
func (c *Check) Err() error {
	if len(c.fields) == 0 {
		return nil
	}
	return Fields(c.fields...)
}
