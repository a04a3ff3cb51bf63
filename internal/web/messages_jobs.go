package web

// jobsCatalog holds the texts of the failed-work settings page
// (settings_jobs.go).
var jobsCatalog = map[string]map[string]string{
	"ko": {
		"jobs.title":          "실패한 작업",
		"jobs.lead":           "메시지 발송, 웹훅 전달처럼 백그라운드에서 하는 일이 정해진 횟수만큼 모두 실패하면 여기에 남습니다. 원인을 고친 뒤 다시 시도하면 처음부터 다시 시도합니다.",
		"jobs.empty":          "실패한 작업이 없습니다.",
		"jobs.what.message":   "메시지 발송",
		"jobs.what.webhook":   "웹훅 전달",
		"jobs.what.event":     "이벤트 처리",
		"jobs.what.other":     "백그라운드 작업",
		"jobs.attempts":       "%d번 시도",
		"jobs.failed_at":      "마지막 실패 %s",
		"jobs.replay":         "다시 시도",
		"notice.job_replayed": "작업을 다시 시도합니다.",
	},
	"en": {
		"jobs.title":          "Failed work",
		"jobs.lead":           "Background work, such as sending a message or delivering a webhook, stays here when every attempt failed. Fix the cause, then try again: it gets a fresh set of attempts.",
		"jobs.empty":          "Nothing has failed.",
		"jobs.what.message":   "Sending messages",
		"jobs.what.webhook":   "Delivering a webhook",
		"jobs.what.event":     "Handling an event",
		"jobs.what.other":     "Background work",
		"jobs.attempts":       "%d attempts",
		"jobs.failed_at":      "last failed %s",
		"jobs.replay":         "Try again",
		"notice.job_replayed": "The work will be tried again.",
	},
}
