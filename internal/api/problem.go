// Package api is Usher's HTTP plumbing: problem+json errors, authentication
// and role checks, tenant scoping of requests, idempotency, pagination,
// request logging and metrics, and the OpenAPI document. Domains register
// their operations through Register; the wiring package lists every route.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/danielgtaylor/huma/v2"

	"github.com/usher-events/usher/internal/fault"
)

// statusOf maps every error code to its HTTP status: the one place where
// Usher's error vocabulary meets HTTP. A code missing here renders as 500, and
// a test checks that every code in package fault is listed.
var statusOf = map[fault.Code]int{
	fault.Internal:           http.StatusInternalServerError,
	fault.Invalid:            http.StatusBadRequest,
	fault.Validation:         http.StatusUnprocessableEntity,
	fault.NotFound:           http.StatusNotFound,
	fault.Conflict:           http.StatusConflict,
	fault.Unauthorized:       http.StatusUnauthorized,
	fault.Forbidden:          http.StatusForbidden,
	fault.TooLarge:           http.StatusRequestEntityTooLarge,
	fault.RateLimited:        http.StatusTooManyRequests,
	fault.Unavailable:        http.StatusServiceUnavailable,
	fault.NotAllowed:         http.StatusMethodNotAllowed,
	fault.NotAcceptable:      http.StatusNotAcceptable,
	fault.UnsupportedMedia:   http.StatusUnsupportedMediaType,
	fault.IdempotencyUse:     http.StatusConflict,
	fault.IdempotencyRe:      http.StatusUnprocessableEntity,
	fault.Canceled:           499, // nginx's "client closed request": nobody reads it
	fault.EmailTaken:         http.StatusConflict,
	fault.WeakPassword:       http.StatusUnprocessableEntity,
	fault.InvalidCredentials: http.StatusUnauthorized,
	fault.TooManyAttempts:    http.StatusTooManyRequests,
	fault.InvalidToken:       http.StatusUnauthorized,
	fault.LastOwner:          http.StatusConflict,

	fault.DuplicateParticipation: http.StatusConflict,
	fault.CampaignNotActive:      http.StatusUnprocessableEntity,
	fault.AlreadyPlayed:          http.StatusConflict,
	fault.OutOfStock:             http.StatusConflict,
	fault.GameLocked:             http.StatusConflict,
	fault.FontUnavailable:        http.StatusServiceUnavailable,

	fault.SoldOut:              http.StatusConflict,
	fault.SeatUnavailable:      http.StatusConflict,
	fault.HoldExpired:          http.StatusConflict,
	fault.InsufficientPoints:   http.StatusPaymentRequired,
	fault.InvalidTransition:    http.StatusConflict,
	fault.EventNotPublished:    http.StatusConflict,
	fault.SalesNotOpen:         http.StatusConflict,
	fault.VerificationRequired: http.StatusConflict,
	fault.SessionFull:          http.StatusConflict,

	fault.InvalidTicket:    http.StatusUnprocessableEntity,
	fault.TicketRevoked:    http.StatusGone,
	fault.AlreadyCheckedIn: http.StatusConflict,
	fault.WrongGate:        http.StatusForbidden,
	fault.GateClosed:       http.StatusForbidden,
	fault.NotValidYet:      http.StatusUnprocessableEntity,
	fault.NotInside:        http.StatusConflict,

	fault.QueueTokenRequired: http.StatusForbidden,
	fault.QueueTokenInvalid:  http.StatusForbidden,

	fault.WebhookURLNotAllowed: http.StatusUnprocessableEntity,
}

// codeOfStatus is the code for errors raised by the HTTP layer itself (huma's
// parsing and validation), which only know a status.
var codeOfStatus = map[int]fault.Code{
	http.StatusBadRequest:            fault.Invalid,
	http.StatusUnauthorized:          fault.Unauthorized,
	http.StatusForbidden:             fault.Forbidden,
	http.StatusNotFound:              fault.NotFound,
	http.StatusMethodNotAllowed:      fault.NotAllowed,
	http.StatusNotAcceptable:         fault.NotAcceptable,
	http.StatusConflict:              fault.Conflict,
	http.StatusRequestEntityTooLarge: fault.TooLarge,
	http.StatusUnsupportedMediaType:  fault.Invalid,
	http.StatusUnprocessableEntity:   fault.Validation,
	http.StatusTooManyRequests:       fault.RateLimited,
	http.StatusServiceUnavailable:    fault.Unavailable,
}

// StatusOf returns the HTTP status for an error code.
func StatusOf(code fault.Code) int {
	if s, ok := statusOf[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Problem is an RFC 9457 problem document with Usher's stable code.
type Problem struct {
	Type       string             `json:"type"`
	Title      string             `json:"title"`
	Status     int                `json:"status"`
	Code       string             `json:"code"`
	Detail     string             `json:"detail,omitempty"`
	Errors     []fault.FieldError `json:"errors,omitempty"`
	RequestID  string             `json:"request_id,omitempty"`
	retryAfter int
	cause      error
}

// Error implements error.
func (p *Problem) Error() string { return p.Code + ": " + p.Detail }

// GetStatus implements huma.StatusError.
func (p *Problem) GetStatus() int { return p.Status }

// GetHeaders implements huma.HeadersError: problems are never cached, and
// rate-limit problems say when to come back.
func (p *Problem) GetHeaders() http.Header {
	h := http.Header{"Cache-Control": {"no-store"}}
	if p.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(p.retryAfter))
	}
	return h
}

// ContentType implements huma.ContentTypeFilter.
func (p *Problem) ContentType(string) string { return "application/problem+json" }

// problemFor turns any error into the problem a client may see. Errors
// without a fault code become a generic internal error; their text is only
// for the log.
func problemFor(err error) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	var fe *fault.Error
	if !errors.As(err, &fe) {
		if errors.Is(err, context.Canceled) {
			return newProblem(fault.Canceled, "the request was canceled", nil, err)
		}
		return newProblem(fault.Internal, "an internal error occurred; it has been logged", nil, err)
	}
	msg := fe.Message
	if fe.Code == fault.Internal {
		msg = "an internal error occurred; it has been logged"
	}
	pr := newProblem(fe.Code, msg, fe.Fields, fe.Err)
	pr.retryAfter = fe.RetryAfter
	return pr
}

func newProblem(code fault.Code, detail string, fields []fault.FieldError, cause error) *Problem {
	status := StatusOf(code)
	return &Problem{
		Type:   "https://usher.dev/problems/" + strings.ReplaceAll(string(code), "_", "-"),
		Title:  http.StatusText(status),
		Status: status,
		Code:   string(code),
		Detail: detail,
		Errors: fields,
		cause:  cause,
	}
}

// installHumaErrors makes huma's own errors (bad JSON, schema validation,
// oversize bodies) render as Usher problems with a code. huma keeps the hook
// in a package variable, so it is set once per process.
func installHumaErrors() { humaErrors.Do(setHumaErrors) }

var humaErrors sync.Once

func setHumaErrors() {
	huma.NewError = func(status int, msg string, errs ...error) huma.StatusError {
		code, ok := codeOfStatus[status]
		if !ok {
			code = fault.Internal
		}
		var fields []fault.FieldError
		for _, e := range errs {
			if e == nil {
				continue
			}
			var d *huma.ErrorDetail
			if errors.As(e, &d) {
				fields = append(fields, fault.FieldError{Field: fieldOf(d), Message: d.Message})
			} else if code != fault.Internal {
				fields = append(fields, fault.FieldError{Message: e.Error()})
			}
		}
		p := newProblem(code, msg, fields, errors.Join(errs...))
		if code == fault.Internal {
			p.Detail = "an internal error occurred; it has been logged"
			p.Errors = nil
		}
		return p
	}
	// Errors raised by huma's own layers (schema validation, parsing) are
	// written by huma, not by Register's wrapper: they get the request id
	// and the problem headers here.
	huma.NewErrorWithContext = func(ctx huma.Context, status int, msg string, errs ...error) huma.StatusError {
		err := huma.NewError(status, msg, errs...)
		if p, ok := err.(*Problem); ok && ctx != nil {
			p.RequestID = requestID(ctx.Context())
			for k, vs := range p.GetHeaders() {
				ctx.SetHeader(k, vs[0])
			}
		}
		return err
	}
}

// fieldOf names the field an error detail is about. A missing required
// property is reported on the object that lacks it ("body.buyer", "expected
// required property email to be present"): the field is the property
// ("buyer.email").
func fieldOf(d *huma.ErrorDetail) string {
	field := fieldName(d.Location)
	if name, ok := strings.CutPrefix(d.Message, "expected required property "); ok {
		if name, ok := strings.CutSuffix(name, " to be present"); ok {
			if field == "" {
				return name
			}
			return field + "." + name
		}
	}
	return field
}

// fieldName turns huma's "body.buyer.email" into "buyer.email".
func fieldName(loc string) string {
	for _, prefix := range []string{"body.", "query.", "path.", "header."} {
		if s, ok := strings.CutPrefix(loc, prefix); ok {
			return s
		}
	}
	if loc == "body" {
		return ""
	}
	return loc
}

// WriteError renders err as problem+json, logging the cause of server errors.
// Handlers outside huma (pages' form posts, raw endpoints) use it.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	p := problemFor(err)
	logProblem(r.Context(), p)
	writeProblem(w, requestID(r.Context()), p)
}

func writeProblem(w http.ResponseWriter, reqID string, p *Problem) {
	out := *p
	out.RequestID = reqID
	body, _ := json.Marshal(&out)
	h := w.Header()
	for k, v := range p.GetHeaders() {
		h[k] = v
	}
	h.Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	w.Write(body)
}

// logProblem logs server-side failures with their cause; client errors are
// not logged beyond the access log line.
func logProblem(ctx context.Context, p *Problem) {
	if p.Status < 500 {
		return
	}
	Logger(ctx).Error("request failed", "code", p.Code, "err", p.cause)
}
