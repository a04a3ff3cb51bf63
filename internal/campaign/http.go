package campaign

import (
	"context"
	"encoding/base64"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/fault"
)

// SchoolRequest is the body of POST /v1/schools and of POST …/departments.
type SchoolRequest struct {
	Body struct {
		Name string `json:"name" maxLength:"200"`
	}
}

// SchoolResponse answers with a school.
type SchoolResponse struct{ Body *School }

// HandleCreateSchool creates a school.
func (s *Service) HandleCreateSchool(ctx context.Context, in *SchoolRequest) (*SchoolResponse, error) {
	sc, err := s.CreateSchool(ctx, in.Body.Name)
	if err != nil {
		return nil, err
	}
	return &SchoolResponse{Body: sc}, nil
}

// ListRequest is a plain list query.
type ListRequest struct{ api.PageParams }

// HandleListSchools lists schools.
func (s *Service) HandleListSchools(ctx context.Context, in *ListRequest) (*api.List[School], error) {
	return s.ListSchools(ctx, in.PageParams)
}

// SchoolPath names a school in a path.
type SchoolPath struct {
	SchoolID string `path:"school_id" maxLength:"100"`
}

// DepartmentRequest is the body of POST /v1/schools/{school_id}/departments.
type DepartmentRequest struct {
	SchoolPath
	SchoolRequest
}

// DepartmentResponse answers with a department.
type DepartmentResponse struct{ Body *Department }

// HandleCreateDepartment creates a department.
func (s *Service) HandleCreateDepartment(ctx context.Context, in *DepartmentRequest) (*DepartmentResponse, error) {
	d, err := s.CreateDepartment(ctx, in.SchoolID, in.Body.Name)
	if err != nil {
		return nil, err
	}
	return &DepartmentResponse{Body: d}, nil
}

// ListDepartmentsRequest is the query of GET …/departments.
type ListDepartmentsRequest struct {
	SchoolPath
	api.PageParams
}

// HandleListDepartments lists a school's departments.
func (s *Service) HandleListDepartments(ctx context.Context, in *ListDepartmentsRequest) (*api.List[Department], error) {
	return s.ListDepartments(ctx, in.SchoolID, in.PageParams)
}

// CreateCampaignRequest is the body of POST /v1/campaigns.
type CreateCampaignRequest struct{ Body CreateCampaignInput }

// CampaignResponse answers with a campaign.
type CampaignResponse struct{ Body *Campaign }

// HandleCreateCampaign creates a campaign.
func (s *Service) HandleCreateCampaign(ctx context.Context, in *CreateCampaignRequest) (*CampaignResponse, error) {
	c, err := s.CreateCampaign(ctx, in.Body)
	if err != nil {
		return nil, err
	}
	return &CampaignResponse{Body: c}, nil
}

// CampaignPath names a campaign in a path.
type CampaignPath struct {
	CampaignID string `path:"campaign_id" maxLength:"100"`
}

// HandleGetCampaign returns a campaign.
func (s *Service) HandleGetCampaign(ctx context.Context, in *CampaignPath) (*CampaignResponse, error) {
	c, err := s.GetCampaign(ctx, in.CampaignID)
	if err != nil {
		return nil, err
	}
	return &CampaignResponse{Body: c}, nil
}

// HandleListCampaigns lists campaigns.
func (s *Service) HandleListCampaigns(ctx context.Context, in *ListRequest) (*api.List[Campaign], error) {
	return s.ListCampaigns(ctx, in.PageParams)
}

// HandleCloseCampaign closes a campaign now.
func (s *Service) HandleCloseCampaign(ctx context.Context, in *CampaignPath) (*CampaignResponse, error) {
	c, err := s.CloseCampaign(ctx, in.CampaignID)
	if err != nil {
		return nil, err
	}
	return &CampaignResponse{Body: c}, nil
}

// PublicCampaignResponse answers with a campaign as participants see it.
type PublicCampaignResponse struct{ Body *PublicCampaign }

// HandleGetPublicCampaign returns the public view of a campaign.
func (s *Service) HandleGetPublicCampaign(ctx context.Context, in *CampaignPath) (*PublicCampaignResponse, error) {
	c, err := s.GetPublicCampaign(ctx, in.CampaignID)
	if err != nil {
		return nil, err
	}
	return &PublicCampaignResponse{Body: c}, nil
}

// ChannelsResponse lists channel links.
type ChannelsResponse struct {
	Body struct {
		Data []ChannelLink `json:"data"`
	}
}

// HandleChannels lists a campaign's channel links.
func (s *Service) HandleChannels(ctx context.Context, in *CampaignPath) (*ChannelsResponse, error) {
	links, err := s.Channels(ctx, in.CampaignID)
	if err != nil {
		return nil, err
	}
	out := &ChannelsResponse{}
	out.Body.Data = links
	return out, nil
}

// QRRequest names a channel's QR code.
type QRRequest struct {
	CampaignPath
	Channel string `path:"channel" maxLength:"40"`
	Size    int    `query:"size" minimum:"64" maximum:"2048" default:"512" doc:"Width and height in pixels."`
}

// PNGResponse is a PNG image.
type PNGResponse struct {
	ContentType  string `header:"Content-Type"`
	CacheControl string `header:"Cache-Control"`
	Body         []byte
}

// HandleChannelQR returns a channel's printable QR code.
func (s *Service) HandleChannelQR(ctx context.Context, in *QRRequest) (*PNGResponse, error) {
	png, err := s.ChannelQR(ctx, in.CampaignID, in.Channel, in.Size)
	if err != nil {
		return nil, err
	}
	return &PNGResponse{ContentType: "image/png", CacheControl: "private, max-age=3600", Body: png}, nil
}

// GiftRequest is the body of POST /v1/campaigns/{campaign_id}/gifts.
type GiftRequest struct {
	CampaignPath
	Body CreateGiftInput
}

// GiftResponse answers with a gift.
type GiftResponse struct{ Body *Gift }

// HandleCreateGift adds a gift to a campaign.
func (s *Service) HandleCreateGift(ctx context.Context, in *GiftRequest) (*GiftResponse, error) {
	g, err := s.CreateGift(ctx, in.CampaignID, in.Body)
	if err != nil {
		return nil, err
	}
	return &GiftResponse{Body: g}, nil
}

// GiftsResponse lists gifts.
type GiftsResponse struct {
	Body struct {
		Data []Gift `json:"data"`
	}
}

// HandleListGifts lists a campaign's gifts with their stock.
func (s *Service) HandleListGifts(ctx context.Context, in *CampaignPath) (*GiftsResponse, error) {
	g, err := s.ListGifts(ctx, in.CampaignID)
	if err != nil {
		return nil, err
	}
	out := &GiftsResponse{}
	out.Body.Data = g
	return out, nil
}

// ParticipateRequest is the body of a public participation.
type ParticipateRequest struct {
	CampaignPath
	UserAgent string `header:"User-Agent"`
	Body      ParticipateInput
}

// PublicParticipation is what the participant gets back.
type PublicParticipation struct {
	ID         string `json:"id"`
	CampaignID string `json:"campaign_id"`
	Number     int    `json:"participation_number"`
	Channel    string `json:"channel"`
	Status     string `json:"status" enum:"pending,approved,rejected"`
	Game       string `json:"game" doc:"The game to play next with POST /v1/public/participations/{id}/play, or none."`
}

// PublicParticipationResponse answers a participation.
type PublicParticipationResponse struct{ Body PublicParticipation }

// HandleParticipate records a public participation, limited per client
// address.
func (s *Service) HandleParticipate(ctx context.Context, in *ParticipateRequest) (*PublicParticipationResponse, error) {
	ip := api.ClientIP(ctx)
	if err := s.CheckParticipationLimit(ctx, ip); err != nil {
		return nil, err
	}
	p, err := s.Participate(ctx, in.CampaignID, in.Body, Meta{UserAgent: in.UserAgent, IP: ip})
	if err != nil {
		return nil, err
	}
	game := GameNone
	if c, err := s.GetPublicCampaign(ctx, in.CampaignID); err == nil {
		game = c.Game.Type
	}
	return &PublicParticipationResponse{Body: PublicParticipation{ID: p.ID, CampaignID: p.CampaignID, Number: p.Number,
		Channel: p.Channel, Status: p.Status, Game: game}}, nil
}

// ParticipationPath names a participation in a path.
type ParticipationPath struct {
	ParticipationID string `path:"participation_id" maxLength:"100"`
}

// PlayRequest is the body of a play.
type PlayRequest struct {
	ParticipationPath
	Body PlayInput
}

// PlayResponse answers a play.
type PlayResponse struct{ Body *PlayResult }

// HandlePlay plays a participation's game.
func (s *Service) HandlePlay(ctx context.Context, in *PlayRequest) (*PlayResponse, error) {
	r, err := s.Play(ctx, in.ParticipationID, in.Body)
	if err != nil {
		return nil, err
	}
	return &PlayResponse{Body: r}, nil
}

// ParticipationResponse answers with a participation.
type ParticipationResponse struct{ Body *Participation }

func participationAnswer(p *Participation, err error) (*ParticipationResponse, error) {
	if err != nil {
		return nil, err
	}
	return &ParticipationResponse{Body: p}, nil
}

// HandleGetParticipation returns a participation.
func (s *Service) HandleGetParticipation(ctx context.Context, in *ParticipationPath) (*ParticipationResponse, error) {
	return participationAnswer(s.GetParticipation(ctx, in.ParticipationID))
}

// HandleApprove approves a participation.
func (s *Service) HandleApprove(ctx context.Context, in *ParticipationPath) (*ParticipationResponse, error) {
	return participationAnswer(s.Approve(ctx, in.ParticipationID))
}

// HandleReject rejects a participation.
func (s *Service) HandleReject(ctx context.Context, in *ParticipationPath) (*ParticipationResponse, error) {
	return participationAnswer(s.Reject(ctx, in.ParticipationID))
}

// HandleHandOut records a handed-out gift.
func (s *Service) HandleHandOut(ctx context.Context, in *ParticipationPath) (*ParticipationResponse, error) {
	return participationAnswer(s.HandOut(ctx, in.ParticipationID))
}

// ListParticipationsRequest is the query of GET …/participations.
type ListParticipationsRequest struct {
	CampaignPath
	api.PageParams
	Status  string `query:"status" enum:"pending,approved,rejected"`
	Result  string `query:"result" enum:"success,failure"`
	Phone   string `query:"phone" maxLength:"32" doc:"Find one person by phone, any spelling."`
	School  string `query:"school_id" maxLength:"100" doc:"Only participations of this school."`
	Channel string `query:"channel" maxLength:"40" doc:"Only participations from this channel."`
	Query   string `query:"q" maxLength:"100" doc:"A participation number, or part of a name."`
}

// HandleListParticipations lists a campaign's participations.
func (s *Service) HandleListParticipations(ctx context.Context, in *ListParticipationsRequest) (*api.List[Participation], error) {
	return s.ListParticipations(ctx, in.CampaignID, ParticipationFilter{Status: in.Status, Result: in.Result, Phone: in.Phone,
		SchoolID: in.School, Channel: in.Channel, Query: in.Query}, in.PageParams)
}

// DrawRequest is the body of POST …/draws.
type DrawRequest struct {
	CampaignPath
	Body CreateDrawInput
}

// DrawResponse answers with a draw.
type DrawResponse struct{ Body *Draw }

// HandleCreateDraw creates a draw.
func (s *Service) HandleCreateDraw(ctx context.Context, in *DrawRequest) (*DrawResponse, error) {
	d, err := s.CreateDraw(ctx, in.CampaignID, in.Body)
	if err != nil {
		return nil, err
	}
	return &DrawResponse{Body: d}, nil
}

// DrawPath names a draw of a campaign.
type DrawPath struct {
	CampaignPath
	DrawID string `path:"draw_id" maxLength:"100"`
}

// HandleRunDraw runs a draw.
func (s *Service) HandleRunDraw(ctx context.Context, in *DrawPath) (*DrawResponse, error) {
	d, err := s.RunDraw(ctx, in.CampaignID, in.DrawID)
	if err != nil {
		return nil, err
	}
	return &DrawResponse{Body: d}, nil
}

// HandleGetDraw returns a draw.
func (s *Service) HandleGetDraw(ctx context.Context, in *DrawPath) (*DrawResponse, error) {
	d, err := s.GetDraw(ctx, in.CampaignID, in.DrawID)
	if err != nil {
		return nil, err
	}
	return &DrawResponse{Body: d}, nil
}

// PublicDrawPath names a draw publicly.
type PublicDrawPath struct {
	DrawID string `path:"draw_id" maxLength:"100"`
}

// HandleGetPublicDraw returns a draw for anyone to verify.
func (s *Service) HandleGetPublicDraw(ctx context.Context, in *PublicDrawPath) (*DrawResponse, error) {
	d, err := s.GetPublicDraw(ctx, in.DrawID)
	if err != nil {
		return nil, err
	}
	return &DrawResponse{Body: d}, nil
}

// CredentialRequest is the body of POST /v1/external-credentials.
type CredentialRequest struct {
	Body struct {
		Name string `json:"name" maxLength:"200"`
	}
}

// CredentialResponse answers with a new credential.
type CredentialResponse struct{ Body *NewExternalCredential }

// HandleCreateCredential creates an external credential.
func (s *Service) HandleCreateCredential(ctx context.Context, in *CredentialRequest) (*CredentialResponse, error) {
	c, err := s.CreateExternalCredential(ctx, in.Body.Name)
	if err != nil {
		return nil, err
	}
	return &CredentialResponse{Body: c}, nil
}

// CredentialsResponse lists credentials.
type CredentialsResponse struct {
	Body struct {
		Data []ExternalCredential `json:"data"`
	}
}

// HandleListCredentials lists external credentials.
func (s *Service) HandleListCredentials(ctx context.Context, _ *struct{}) (*CredentialsResponse, error) {
	c, err := s.ListExternalCredentials(ctx)
	if err != nil {
		return nil, err
	}
	out := &CredentialsResponse{}
	out.Body.Data = c
	return out, nil
}

// CredentialPath names a credential.
type CredentialPath struct {
	CredentialID string `path:"credential_id" maxLength:"100"`
}

// HandleRevokeCredential revokes an external credential.
func (s *Service) HandleRevokeCredential(ctx context.Context, in *CredentialPath) (*struct{}, error) {
	return nil, s.RevokeExternalCredential(ctx, in.CredentialID)
}

// HandleListExternalRecords lists archived external records.
func (s *Service) HandleListExternalRecords(ctx context.Context, in *ListRequest) (*api.List[ExternalRecordRow], error) {
	return s.ListExternalRecords(ctx, in.PageParams)
}

// ExternalRecordRequest is an external record with its Basic credentials.
// The body is taken raw, so that it is archived verbatim even when it is not
// valid JSON.
type ExternalRecordRequest struct {
	Authorization string `header:"Authorization" doc:"Basic credentials from POST /v1/external-credentials."`
	RawBody       []byte
}

// externalRecordPath is where outside systems post their records.
const externalRecordPath = "/apidata/external_record"

// AcceptEmptyRecords lets an empty body through to HandleExternalRecord.
// huma answers an empty body to any operation with a raw body with a 400 of
// its own ("request body is required") before the handler runs, so such a
// post was never archived, unlike every other bad record. Call it once the
// operation is registered: huma's handler reads the registered operation's
// RequestBody.
func AcceptEmptyRecords(a huma.API) {
	item := a.OpenAPI().Paths[externalRecordPath]
	if item == nil || item.Post == nil || item.Post.RequestBody == nil {
		panic("campaign: POST " + externalRecordPath + " is not registered")
	}
	item.Post.RequestBody.Required = false
}

// ExternalRecordResponse answers an accepted record.
type ExternalRecordResponse struct {
	Body struct {
		ParticipationID string `json:"participation_id"`
		Number          int    `json:"participation_number"`
	}
}

// HandleExternalRecord accepts a record from an outside system.
func (s *Service) HandleExternalRecord(ctx context.Context, in *ExternalRecordRequest) (*ExternalRecordResponse, error) {
	user, pass, ok := parseBasic(in.Authorization)
	if !ok {
		return nil, fault.New(fault.Unauthorized, `send "Authorization: Basic <base64 of username:password>"`)
	}
	p, err := s.RecordExternal(ctx, user, pass, in.RawBody)
	if err != nil {
		return nil, err
	}
	out := &ExternalRecordResponse{}
	out.Body.ParticipationID, out.Body.Number = p.ID, p.Number
	return out, nil
}

func parseBasic(h string) (user, pass string, ok bool) {
	scheme, cred, found := strings.Cut(h, " ")
	if !found || !strings.EqualFold(scheme, "Basic") {
		return "", "", false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
	if err != nil {
		return "", "", false
	}
	user, pass, ok = strings.Cut(string(raw), ":")
	return user, pass, ok && user != "" && pass != ""
}
