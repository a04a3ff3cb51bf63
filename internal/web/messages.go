package web

// catalogs hold every text the pages show, per language. Keys are dotted
// by page or purpose; values may hold fmt verbs filled by the template.
// A test checks that both languages have the same keys and that every key
// a template names exists.
var catalogs = mergeCatalogs(shellCatalog, eventCatalog, campaignCatalog, gateCatalog)

// shellCatalog holds the texts of the shell's own pages; each page group
// keeps its texts in messages_<group>.go.
var shellCatalog = map[string]map[string]string{
	"ko": {
		"lang.label": "언어",
		"lang.ko":    "한국어",
		"lang.en":    "English",

		"nav.label":     "주 메뉴",
		"nav.menu":      "메뉴",
		"nav.skip":      "본문으로 건너뛰기",
		"nav.soon":      "준비 중",
		"nav.logout":    "로그아웃",
		"nav.dashboard": "대시보드",
		"nav.events":    "이벤트",
		"nav.orders":    "티켓·주문",
		"nav.seats":     "좌석",
		"nav.gates":     "게이트",
		"nav.campaigns": "캠페인",
		"nav.reports":   "리포트",
		"nav.settings":  "설정",

		"role.owner":  "소유자",
		"role.admin":  "관리자",
		"role.staff":  "스태프",
		"role.gate":   "게이트 단말",
		"role.viewer": "조회 전용",

		"field.email":                "이메일",
		"field.password":             "비밀번호",
		"field.password.hint":        "8자 이상, 서로 다른 문자 4개 이상. 흔한 비밀번호나 이메일 주소는 쓸 수 없습니다.",
		"field.organization":         "조직 이름",
		"field.name":                 "이름",
		"field.optional":             "(선택)",
		"field.role":                 "역할",
		"field.key_name":             "키 이름",
		"field.key_name.placeholder": "예: 예매 사이트 연동",

		"signup.title":        "조직 만들기",
		"signup.lead":         "티켓 판매, 입장 게이트, 캠페인을 한곳에서 운영하세요. 만든 사람이 조직의 소유자가 됩니다.",
		"signup.submit":       "조직 만들기",
		"signup.have_account": "이미 계정이 있나요?",

		"login.title":      "로그인",
		"login.submit":     "로그인",
		"login.no_account": "처음이신가요?",

		"invite.title":         "초대 수락",
		"invite.lead":          "%s 조직에 %s 역할로 초대되었습니다. 이름과 비밀번호를 정하면 바로 시작할 수 있습니다.",
		"invite.submit":        "가입하고 시작하기",
		"invite.invalid.title": "사용할 수 없는 초대입니다",
		"invite.invalid.body":  "초대 링크가 올바르지 않거나, 이미 사용되었거나, 기한이 지났습니다. 초대한 분께 새 링크를 요청하세요.",

		"dash.hello":     "안녕하세요, %s 님",
		"dash.welcome":   "%s 대시보드",
		"dash.lead":      "Usher에서 할 수 있는 일입니다. 준비 중인 메뉴는 API로 먼저 제공되는 대로 이곳에 열립니다.",
		"dash.events":    "행사, 일정, 장소와 티켓 종류를 만들고 관리합니다.",
		"dash.orders":    "주문과 결제, 환불, 발급된 티켓을 확인합니다.",
		"dash.seats":     "좌석 배치도를 만들고 좌석별 판매 현황을 봅니다.",
		"dash.gates":     "입장 게이트와 단말, 실시간 입장 현황을 관리합니다.",
		"dash.campaigns": "퀴즈, 룰렛, 경품 추첨 같은 참여 캠페인을 운영합니다.",
		"dash.reports":   "판매와 입장, 캠페인 결과를 집계하고 내려받습니다.",
		"dash.settings":  "사용자 초대와 역할, API 키를 관리합니다.",
		"dash.api.title": "API로 연동하기",
		"dash.api.body":  "모든 기능은 REST API로도 쓸 수 있습니다. API 키를 만들어 Authorization 헤더에 넣어 호출하세요.",
		"dash.api.docs":  "API 문서",

		"soon.body": "이 화면은 아직 만드는 중입니다. 그동안 API로 먼저 쓸 수 있는 기능은 API 문서에서 확인하세요.",

		"users.title":          "사용자",
		"users.invite.title":   "사람 초대하기",
		"users.invite.submit":  "초대 링크 만들기",
		"users.invited.title":  "초대 링크를 만들었습니다",
		"users.invited.body":   "이 링크를 %s 님에게 전달하세요 (%s 역할).",
		"users.invited.link":   "초대 링크",
		"users.invited.once":   "링크는 지금 한 번만 표시됩니다. %s까지 사용할 수 있습니다.",
		"users.list.title":     "조직의 사용자",
		"users.no_name":        "이름 없음",
		"users.you":            "나",
		"users.joined":         "가입 %s",
		"users.role.submit":    "역할 변경",
		"users.remove.submit":  "내보내기",
		"users.remove.confirm": "%s 님을 조직에서 내보낼까요? 바로 로그인할 수 없게 됩니다.",

		"keys.title":          "API 키",
		"keys.create.title":   "새 API 키",
		"keys.create.submit":  "키 만들기",
		"keys.created.title":  "새 키 \"%s\"",
		"keys.created.body":   "지금 복사해 안전한 곳에 보관하세요. 이 키는 다시 표시되지 않습니다.",
		"keys.usage":          "요청 헤더에 이렇게 넣어 호출합니다:",
		"keys.list.title":     "사용 중인 키",
		"keys.empty":          "아직 API 키가 없습니다.",
		"keys.created_at":     "만든 날 %s",
		"keys.last_used":      "마지막 사용 %s",
		"keys.never_used":     "사용한 적 없음",
		"keys.revoke.submit":  "폐기",
		"keys.revoke.confirm": "\"%s\" 키를 폐기할까요? 이 키를 쓰는 연동은 즉시 멈춥니다.",

		"copy.button": "복사",
		"copy.done":   "복사됨",
		"list.more":   "더 보기",

		"notice.role_changed": "역할을 바꿨습니다.",
		"notice.user_removed": "사용자를 내보냈습니다.",
		"notice.key_revoked":  "키를 폐기했습니다.",

		"problem.title":      "문제가 생겼습니다",
		"problem.internal":   "요청을 처리하지 못했습니다. 잠시 후 다시 시도해 주세요. 문제가 계속되면 아래 요청 번호를 알려 주세요.",
		"problem.request_id": "요청 번호:",
		"problem.back":       "처음으로",
		"forbidden.title":    "권한이 없습니다",
		"forbidden.body":     "이 페이지를 볼 수 있는 역할이 아닙니다. 조직의 소유자나 관리자에게 문의하세요.",
		"notfound.title":     "페이지를 찾을 수 없습니다",
		"notfound.body":      "주소가 바뀌었거나 없는 페이지입니다.",
		"csrf.title":         "보안 확인에 실패했습니다",
		"csrf.body":          "양식이 만료되었거나 다른 사이트에서 보낸 요청입니다. 페이지를 새로 고친 뒤 다시 시도하세요.",

		"err.generic":             "요청을 처리할 수 없습니다. 입력한 내용을 확인해 주세요.",
		"err.validation_failed":   "입력한 내용을 확인해 주세요.",
		"err.invalid_request":     "요청을 읽을 수 없습니다. 다시 시도해 주세요.",
		"err.request_too_large":   "입력한 내용이 너무 깁니다.",
		"err.weak_password":       "비밀번호가 너무 약합니다. 8자 이상, 서로 다른 문자 4개 이상으로 하고, 흔한 비밀번호나 이메일 주소는 피해 주세요.",
		"err.email_taken":         "이 이메일로 만든 계정이 이미 있습니다. 로그인해 주세요.",
		"err.invalid_credentials": "이메일 또는 비밀번호가 맞지 않습니다.",
		"err.too_many_attempts":   "로그인 시도가 너무 많습니다. 잠시 후 다시 시도하세요.",
		"err.rate_limited":        "요청이 너무 많습니다. 잠시 후 다시 시도하세요.",
		"err.invalid_token":       "링크가 올바르지 않거나 기한이 지났습니다.",
		"err.last_owner":          "조직에는 소유자가 한 명 이상 있어야 합니다. 먼저 다른 사람을 소유자로 지정하세요.",
		"err.forbidden":           "이 작업을 할 권한이 없습니다. 소유자만 소유자를 지정하거나 바꿀 수 있습니다.",
		"err.not_found":           "대상을 찾을 수 없습니다. 이미 삭제되었을 수 있습니다.",
		"err.conflict":            "다른 변경과 충돌했습니다. 새로 고친 뒤 다시 시도하세요.",
		"err.field.organization":  "조직 이름을 200자 이내로 입력해 주세요.",
		"err.field.name":          "이름을 확인해 주세요. (이름은 200자, 키 이름은 100자 이내)",
		"err.field.email":         "올바른 이메일 주소를 입력해 주세요.",
		"err.field.password":      "비밀번호가 너무 깁니다.",
		"err.field.role":          "역할을 목록에서 골라 주세요.",
		"err.field.lang":          "지원하지 않는 언어입니다.",
	},
	"en": {
		"lang.label": "Language",
		"lang.ko":    "한국어",
		"lang.en":    "English",

		"nav.label":     "Main menu",
		"nav.menu":      "Menu",
		"nav.skip":      "Skip to content",
		"nav.soon":      "Soon",
		"nav.logout":    "Sign out",
		"nav.dashboard": "Dashboard",
		"nav.events":    "Events",
		"nav.orders":    "Tickets & orders",
		"nav.seats":     "Seats",
		"nav.gates":     "Gates",
		"nav.campaigns": "Campaigns",
		"nav.reports":   "Reports",
		"nav.settings":  "Settings",

		"role.owner":  "Owner",
		"role.admin":  "Admin",
		"role.staff":  "Staff",
		"role.gate":   "Gate device",
		"role.viewer": "Viewer",

		"field.email":                "Email",
		"field.password":             "Password",
		"field.password.hint":        "At least 8 characters with 4 different ones; not a common password or your email.",
		"field.organization":         "Organization name",
		"field.name":                 "Name",
		"field.optional":             "(optional)",
		"field.role":                 "Role",
		"field.key_name":             "Key name",
		"field.key_name.placeholder": "e.g. Box office integration",

		"signup.title":        "Create your organization",
		"signup.lead":         "Run ticket sales, gates and campaigns in one place. You become the organization's owner.",
		"signup.submit":       "Create organization",
		"signup.have_account": "Already have an account?",

		"login.title":      "Sign in",
		"login.submit":     "Sign in",
		"login.no_account": "New to Usher?",

		"invite.title":         "Accept invitation",
		"invite.lead":          "You are invited to %s as %s. Choose a name and password to get started.",
		"invite.submit":        "Join and get started",
		"invite.invalid.title": "This invitation cannot be used",
		"invite.invalid.body":  "The link is not valid, was already used, or has expired. Ask the person who invited you for a new one.",

		"dash.hello":     "Hello, %s",
		"dash.welcome":   "%s dashboard",
		"dash.lead":      "Here is what Usher does. Items marked soon open here as their pages arrive; many are in the API first.",
		"dash.events":    "Create events, schedules, venues and ticket types.",
		"dash.orders":    "See orders, payments, refunds and issued tickets.",
		"dash.seats":     "Draw seat maps and watch seat-by-seat sales.",
		"dash.gates":     "Manage gates and devices; watch check-ins live.",
		"dash.campaigns": "Run participation campaigns: quizzes, roulette, gifts and draws.",
		"dash.reports":   "Summaries and exports of sales, check-ins and campaigns.",
		"dash.settings":  "Invite people, set their roles, manage API keys.",
		"dash.api.title": "Integrate with the API",
		"dash.api.body":  "Everything is available over the REST API. Create an API key and send it in the Authorization header.",
		"dash.api.docs":  "API docs",

		"soon.body": "This page is still being built. Meanwhile, see the API docs for what you can already do over the API.",

		"users.title":          "Users",
		"users.invite.title":   "Invite a person",
		"users.invite.submit":  "Create invitation link",
		"users.invited.title":  "Invitation link created",
		"users.invited.body":   "Send this link to %s (role: %s).",
		"users.invited.link":   "Invitation link",
		"users.invited.once":   "The link is shown only now. It works until %s.",
		"users.list.title":     "People in the organization",
		"users.no_name":        "No name",
		"users.you":            "you",
		"users.joined":         "Joined %s",
		"users.role.submit":    "Change role",
		"users.remove.submit":  "Remove",
		"users.remove.confirm": "Remove %s from the organization? They will be signed out at once.",

		"keys.title":          "API keys",
		"keys.create.title":   "New API key",
		"keys.create.submit":  "Create key",
		"keys.created.title":  "New key \"%s\"",
		"keys.created.body":   "Copy it now and keep it somewhere safe. It will not be shown again.",
		"keys.usage":          "Send it with each request:",
		"keys.list.title":     "Active keys",
		"keys.empty":          "No API keys yet.",
		"keys.created_at":     "Created %s",
		"keys.last_used":      "last used %s",
		"keys.never_used":     "never used",
		"keys.revoke.submit":  "Revoke",
		"keys.revoke.confirm": "Revoke the key \"%s\"? Integrations using it stop working at once.",

		"copy.button": "Copy",
		"copy.done":   "Copied",
		"list.more":   "More",

		"notice.role_changed": "The role was changed.",
		"notice.user_removed": "The user was removed.",
		"notice.key_revoked":  "The key was revoked.",

		"problem.title":      "Something went wrong",
		"problem.internal":   "We could not complete the request. Please try again in a moment; if it keeps happening, tell us the request number below.",
		"problem.request_id": "Request number:",
		"problem.back":       "Back to start",
		"forbidden.title":    "Not allowed",
		"forbidden.body":     "Your role cannot open this page. Ask an owner or admin of your organization.",
		"notfound.title":     "Page not found",
		"notfound.body":      "The address has changed or the page does not exist.",
		"csrf.title":         "Security check failed",
		"csrf.body":          "The form has expired or was sent from another site. Reload the page and try again.",

		"err.generic":             "The request could not be completed. Please check what you entered.",
		"err.validation_failed":   "Please check what you entered.",
		"err.invalid_request":     "The request could not be read. Please try again.",
		"err.request_too_large":   "What you entered is too long.",
		"err.weak_password":       "The password is too weak. Use at least 8 characters with 4 different ones, and avoid common passwords and your email.",
		"err.email_taken":         "An account with this email already exists. Please sign in.",
		"err.invalid_credentials": "The email or password is wrong.",
		"err.too_many_attempts":   "Too many sign-in attempts. Please try again later.",
		"err.rate_limited":        "Too many requests. Please try again later.",
		"err.invalid_token":       "The link is not valid or has expired.",
		"err.last_owner":          "An organization needs at least one owner. Make someone else owner first.",
		"err.forbidden":           "You may not do this. Only an owner can make or change owners.",
		"err.not_found":           "It could not be found; it may have been deleted already.",
		"err.conflict":            "This clashed with another change. Reload and try again.",
		"err.field.organization":  "Enter an organization name of at most 200 characters.",
		"err.field.name":          "Check the name (at most 200 characters; key names at most 100).",
		"err.field.email":         "Enter a valid email address.",
		"err.field.password":      "The password is too long.",
		"err.field.role":          "Choose a role from the list.",
		"err.field.lang":          "That language is not supported.",
	},
}

// mergeCatalogs joins the page groups' catalogs; a key defined twice is a
// programming error caught at start.
func mergeCatalogs(parts ...map[string]map[string]string) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, part := range parts {
		for lang, msgs := range part {
			if out[lang] == nil {
				out[lang] = map[string]string{}
			}
			for k, v := range msgs {
				if _, dup := out[lang][k]; dup {
					panic("web: message key defined twice: " + lang + "/" + k)
				}
				out[lang][k] = v
			}
		}
	}
	return out
}
