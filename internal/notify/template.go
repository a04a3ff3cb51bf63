package notify

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"text/template"
	"time"

	"github.com/usher-events/usher/internal/fault"
)

// Kinds of messages. Each has a built-in template per language that a
// tenant may override.
const (
	KindConfirmation    = "confirmation"     // order.created
	KindPaymentReceived = "payment_received" // order.paid
	KindReminderD7      = "reminder_d7"      // 7 days before the start
	KindReminderD1      = "reminder_d1"      // 1 day before, with the PDF tickets
	KindThankYouD1      = "thank_you_d1"     // the day after the start
	// KindParticipation is the SMS / AlimTalk confirmation of a campaign
	// participation, with its participation number.
	KindParticipation = "participation_confirmation"
	// KindParticipationResult tells a participant how their game went
	// (participation.result), with the gift they won.
	KindParticipationResult = "participation_result"
	// KindDrawWinner tells a participant they won a draw (draw.winner).
	KindDrawWinner = "draw_winner"
	// KindBudgetAlert tells the organization's owners and admins that the
	// month's usage reached a share of their budget (usage.budget_alert).
	KindBudgetAlert = "budget_alert"
)

// Kinds lists every message kind.
var Kinds = []string{KindConfirmation, KindPaymentReceived, KindReminderD7, KindReminderD1, KindThankYouD1,
	KindParticipation, KindParticipationResult, KindDrawWinner, KindBudgetAlert}

// textKinds are the kinds sent as text messages (SMS / AlimTalk), which
// have a body and no subject.
var textKinds = []string{KindParticipation, KindParticipationResult, KindDrawWinner}

// Langs lists the template languages.
var Langs = []string{"ko", "en"}

// Template is a message template: a subject and a body, both text/template.
type Template struct {
	Kind    string `json:"kind"`
	Lang    string `json:"lang"`
	Subject string `json:"subject"`
	Body    string `json:"body"`
	// Custom is true when the tenant overrides the built-in template.
	Custom    bool       `json:"custom"`
	Variables []string   `json:"variables" doc:"Variables the template may use, as {{.Name}}."`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
}

// Size limits of a template.
const (
	maxSubject = 300
	maxBody    = 20000
)

// orderVariables are the variables of order messages.
var orderVariables = []string{"BuyerName", "EventName", "StartsAt", "EndsAt", "Timezone", "Venue", "OrderID", "Total", "TicketCount", "TicketLinks", "Tickets"}

// participationVariables are the variables of participation messages;
// results also have resultVariables.
var participationVariables = []string{"Name", "CampaignName", "ParticipationNumber"}

// resultVariables are what a result message adds: Result is "success" or
// "failure", GiftName the gift won ("" when none).
var resultVariables = append(slices.Clone(participationVariables), "Result", "GiftName")

// budgetVariables are the variables of budget alerts.
var budgetVariables = []string{"Period", "Threshold", "Total", "Budget", "Tier", "UsageURL"}

// variables returns the variables of a kind.
func variables(kind string) []string {
	switch kind {
	case KindParticipation, KindDrawWinner:
		return participationVariables
	case KindParticipationResult:
		return resultVariables
	case KindBudgetAlert:
		return budgetVariables
	}
	return orderVariables
}

// parse compiles a subject or body. missingkey=error makes an unknown
// variable an error when the template runs on the sample data at save time,
// instead of "<no value>" in a buyer's mail weeks later.
func parse(name, text string) (*template.Template, error) {
	return template.New(name).Option("missingkey=error").Parse(text)
}

// parsed keeps parsed templates by name and text: a batch of messages
// renders the same few templates many times, and parsing costs more than
// running. A template runs safely on many goroutines at once. The map is
// emptied when it fills up (templates are edited rarely).
var parsed struct {
	sync.Mutex
	m map[[2]string]*template.Template
}

func parseCached(name, text string) (*template.Template, error) {
	key := [2]string{name, text}
	parsed.Lock()
	t := parsed.m[key]
	parsed.Unlock()
	if t != nil {
		return t, nil
	}
	t, err := parse(name, text)
	if err != nil {
		return nil, err
	}
	parsed.Lock()
	if parsed.m == nil || len(parsed.m) >= 512 {
		parsed.m = map[[2]string]*template.Template{}
	}
	parsed.m[key] = t
	parsed.Unlock()
	return t, nil
}

// render runs subject and body on data. The subject is one line: a newline in
// it could inject mail headers.
func render(subject, body string, data map[string]any) (string, string, error) {
	var c fault.Check
	var out [2]string
	for i, f := range []struct{ field, text string }{{"subject", subject}, {"body", body}} {
		t, err := parseCached(f.field, f.text)
		if err != nil {
			c.Add(true, f.field, templateError(err))
			continue
		}
		var sb strings.Builder
		if err := t.Execute(&sb, data); err != nil {
			c.Add(true, f.field, templateError(err))
			continue
		}
		out[i] = sb.String()
	}
	if err := c.Err(); err != nil {
		return "", "", err
	}
	subj := strings.Join(strings.Fields(out[0]), " ")
	return subj, out[1], nil
}

// templateError makes a template error readable without the template's
// internal name prefix.
func templateError(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, ": "); strings.HasPrefix(msg, "template: ") && i >= 0 {
		msg = strings.TrimPrefix(msg, "template: ")
	}
	return "is not a valid template: " + msg
}

// validate checks a template a tenant saves: sizes, syntax, and a run on the
// kind's sample data, so that a misspelt variable is a 422 now.
func validate(kind, lang, subject, body string) error {
	var c fault.Check
	c.Add(strings.TrimSpace(subject) == "" && !slices.Contains(textKinds, kind), "subject", "must not be empty")
	c.Add(len(subject) > maxSubject, "subject", fmt.Sprintf("must be at most %d bytes", maxSubject))
	c.Add(strings.TrimSpace(body) == "", "body", "must not be empty")
	c.Add(len(body) > maxBody, "body", fmt.Sprintf("must be at most %d bytes", maxBody))
	if err := c.Err(); err != nil {
		return err
	}
	_, _, err := render(subject, body, sampleData(kind, lang))
	return err
}

// builtin returns the built-in template of a kind and language.
func builtin(kind, lang string) (subject, body string) {
	t := defaults[lang][kind]
	return t[0], t[1]
}

// defaults holds the built-in templates: lang → kind → {subject, body}.
var defaults = map[string]map[string][2]string{
	"ko": {
		KindConfirmation: {
			"[{{.EventName}}] 주문이 접수되었습니다",
			`{{.BuyerName}}님, 안녕하세요.

{{.EventName}} 주문(주문번호 {{.OrderID}})이 접수되었습니다.
결제가 완료되면 티켓을 보내 드립니다.

일시: {{.StartsAt}}
장소: {{.Venue}}
금액: {{.Total}}

감사합니다.`,
		},
		KindPaymentReceived: {
			"[{{.EventName}}] 결제가 완료되었습니다",
			`{{.BuyerName}}님, 결제가 완료되었습니다.

행사: {{.EventName}}
일시: {{.StartsAt}}
장소: {{.Venue}}
결제 금액: {{.Total}}
티켓 {{.TicketCount}}매:
{{.TicketLinks}}

입장 시 QR 코드를 보여 주세요.`,
		},
		KindReminderD7: {
			"[{{.EventName}}] 행사가 일주일 남았습니다",
			`{{.BuyerName}}님, {{.EventName}}까지 일주일 남았습니다.

일시: {{.StartsAt}}
장소: {{.Venue}}
티켓:
{{.TicketLinks}}

곧 뵙겠습니다.`,
		},
		KindReminderD1: {
			"[{{.EventName}}] 내일 뵙겠습니다 (티켓 첨부)",
			`{{.BuyerName}}님, {{.EventName}}이(가) 내일입니다.

일시: {{.StartsAt}}
장소: {{.Venue}}

첨부한 PDF 티켓의 QR 코드를 입구에서 보여 주세요.
티켓:
{{.TicketLinks}}`,
		},
		KindThankYouD1: {
			"[{{.EventName}}] 참석해 주셔서 감사합니다",
			`{{.BuyerName}}님, {{.EventName}}에 함께해 주셔서 감사합니다.

다음 행사에서 다시 뵙기를 바랍니다.`,
		},
		KindParticipation: {
			"",
			`[{{.CampaignName}}] {{.Name}}님, 참여가 접수되었습니다. 참여번호: {{.ParticipationNumber}}`,
		},
		KindParticipationResult: {
			"",
			`[{{.CampaignName}}] {{.Name}}님, {{if eq .Result "success"}}축하합니다! {{if .GiftName}}{{.GiftName}}에 당첨되셨습니다.{{else}}성공하셨습니다.{{end}}{{else}}참여해 주셔서 감사합니다. 아쉽게도 이번에는 당첨되지 않았습니다.{{end}} 참여번호: {{.ParticipationNumber}}`,
		},
		KindDrawWinner: {
			"",
			`[{{.CampaignName}}] {{.Name}}님, 추첨에 당첨되셨습니다! 참여번호: {{.ParticipationNumber}}`,
		},
		KindBudgetAlert: {
			"[Usher] {{.Period}} 사용 요금이 예산의 {{.Threshold}}%에 이르렀습니다",
			`{{.Period}} 사용 요금이 {{.Total}}으로, 월 예산 {{.Budget}}의 {{.Threshold}}%에 이르렀습니다 ({{.Tier}} 요금제).

사용량과 요금은 다음 주소에서 확인하세요:
{{.UsageURL}}`,
		},
	},
	"en": {
		KindConfirmation: {
			"[{{.EventName}}] We received your order",
			`Hello {{.BuyerName}},

we received your order {{.OrderID}} for {{.EventName}}.
We will send your tickets once it is paid.

When: {{.StartsAt}}
Where: {{.Venue}}
Total: {{.Total}}

Thank you.`,
		},
		KindPaymentReceived: {
			"[{{.EventName}}] Payment received",
			`Hello {{.BuyerName}},

your payment was received.

Event: {{.EventName}}
When: {{.StartsAt}}
Where: {{.Venue}}
Paid: {{.Total}}
Your {{.TicketCount}} ticket(s):
{{.TicketLinks}}

Show the QR code at the entrance.`,
		},
		KindReminderD7: {
			"[{{.EventName}}] One week to go",
			`Hello {{.BuyerName}},

{{.EventName}} is one week away.

When: {{.StartsAt}}
Where: {{.Venue}}
Your tickets:
{{.TicketLinks}}

See you soon.`,
		},
		KindReminderD1: {
			"[{{.EventName}}] See you tomorrow (tickets attached)",
			`Hello {{.BuyerName}},

{{.EventName}} is tomorrow.

When: {{.StartsAt}}
Where: {{.Venue}}

Show the QR code of the attached PDF ticket at the entrance.
Your tickets:
{{.TicketLinks}}`,
		},
		KindThankYouD1: {
			"[{{.EventName}}] Thank you for coming",
			`Hello {{.BuyerName}},

thank you for joining us at {{.EventName}}.

We hope to see you again.`,
		},
		KindParticipation: {
			"",
			`[{{.CampaignName}}] {{.Name}}, your participation is registered. Number: {{.ParticipationNumber}}`,
		},
		KindParticipationResult: {
			"",
			`[{{.CampaignName}}] {{.Name}}, {{if eq .Result "success"}}congratulations! {{if .GiftName}}You won {{.GiftName}}.{{else}}You made it.{{end}}{{else}}thank you for taking part. You did not win this time.{{end}} Number: {{.ParticipationNumber}}`,
		},
		KindDrawWinner: {
			"",
			`[{{.CampaignName}}] {{.Name}}, you won the draw! Number: {{.ParticipationNumber}}`,
		},
		KindBudgetAlert: {
			"[Usher] Usage for {{.Period}} reached {{.Threshold}}% of your budget",
			`Your usage for {{.Period}} comes to {{.Total}}, {{.Threshold}}% of your monthly budget of {{.Budget}} (tier {{.Tier}}).

See the usage and what it costs at
{{.UsageURL}}`,
		},
	},
}
