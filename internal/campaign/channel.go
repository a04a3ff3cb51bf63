package campaign

import (
	"bytes"
	"context"
	"image/png"
	"net/url"
	"slices"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"

	"github.com/usher-events/usher/internal/fault"
)

// ChannelLink is a campaign's link for one channel, with its printable QR.
type ChannelLink struct {
	Channel string `json:"channel"`
	URL     string `json:"url" doc:"The landing page link to hand out on this channel."`
	QRPath  string `json:"qr_png" doc:"API path of a printable PNG QR code of url."`
}

// LandingURL is the public landing page of a campaign for a channel.
func (s *Service) LandingURL(campaignID, channel string) string {
	u := s.cfg.PublicURL + "/c/" + url.PathEscape(campaignID)
	if channel != "" && channel != ChannelDirect {
		u += "?ch=" + url.QueryEscape(channel)
	}
	return u
}

// Channels lists a campaign's channel links.
func (s *Service) Channels(ctx context.Context, campaignID string) ([]ChannelLink, error) {
	c, err := s.GetCampaign(ctx, campaignID)
	if err != nil {
		return nil, err
	}
	out := make([]ChannelLink, 0, len(c.Channels))
	for _, ch := range c.Channels {
		out = append(out, ChannelLink{Channel: ch, URL: s.LandingURL(c.ID, ch),
			QRPath: "/v1/campaigns/" + url.PathEscape(c.ID) + "/channels/" + url.PathEscape(ch) + "/qr.png"})
	}
	return out, nil
}

// ChannelQR returns a PNG QR code of a channel's link, size pixels square.
func (s *Service) ChannelQR(ctx context.Context, campaignID, channel string, size int) ([]byte, error) {
	c, err := s.GetCampaign(ctx, campaignID)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(c.Channels, channel) {
		return nil, fault.New(fault.NotFound, "the campaign has no channel %q", channel)
	}
	code, err := qr.Encode(s.LandingURL(c.ID, channel), qr.M, qr.Auto)
	if err != nil {
		return nil, err
	}
	if size < 64 || size > 2048 {
		size = 512
	}
	code, err = barcode.Scale(code, size, size)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, code); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
