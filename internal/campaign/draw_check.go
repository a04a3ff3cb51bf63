package campaign

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// DrawCheck is the outcome of re-running a draw from its published seed.
type DrawCheck struct {
	// Winners are the participation numbers the seed and list give.
	Winners []string
	// CommitmentChecked is false when no commitment was given to check.
	CommitmentChecked bool
	CommitmentOK      bool
	// PublishedChecked is false when no published winners were given.
	PublishedChecked bool
	WinnersMatch     bool
}

// OK reports whether every check that could be made passed.
func (c *DrawCheck) OK() bool {
	return (!c.CommitmentChecked || c.CommitmentOK) && (!c.PublishedChecked || c.WinnersMatch)
}

// CheckDraw recomputes a draw's winners with Verify from the hex seed and
// the frozen list, and compares the seed with its commitment and the
// winners with the published ones when those are given.
func CheckDraw(seedHex string, frozen []string, count int, commitment string, published []string) (*DrawCheck, error) {
	seed, err := hex.DecodeString(strings.TrimSpace(seedHex))
	if err != nil || len(seed) == 0 {
		return nil, fmt.Errorf("the seed must be hex digits")
	}
	if count < 1 {
		return nil, fmt.Errorf("the count must be at least 1")
	}
	out := &DrawCheck{Winners: Verify(seed, frozen, count)}
	if commitment != "" {
		out.CommitmentChecked, out.CommitmentOK = true, CheckCommitment(seed, strings.ToLower(strings.TrimSpace(commitment)))
	}
	if published != nil {
		out.PublishedChecked, out.WinnersMatch = true, slices.Equal(out.Winners, published)
	}
	return out, nil
}

// CheckPublishedDraw re-runs a draw as published by GET /v1/public/draws/{id}.
func CheckPublishedDraw(d *Draw) (*DrawCheck, error) {
	if d.Seed == "" {
		return nil, fmt.Errorf("the draw %s has not run yet: its seed is still secret", d.ID)
	}
	published := make([]string, 0, len(d.Winners))
	for _, w := range d.Winners {
		published = append(published, strconv.Itoa(w.Number))
	}
	return CheckDraw(d.Seed, d.Frozen, d.Count, d.Commitment, published)
}

// FetchPublicDraw reads a published draw from its public API address.
func FetchPublicDraw(ctx context.Context, hc *http.Client, url string) (*Draw, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	var d Draw
	if err := json.Unmarshal(body, &d); err != nil {
		return nil, fmt.Errorf("GET %s: not a draw: %w", url, err)
	}
	return &d, nil
}

// ReadFrozenList reads a draw's frozen list: one participation number per
// line (blank lines and lines starting with # are skipped), a JSON array of
// numbers, or a published draw's JSON document (its "frozen" list).
func ReadFrozenList(r io.Reader) ([]string, error) {
	raw, err := io.ReadAll(io.LimitReader(r, 64<<20))
	if err != nil {
		return nil, err
	}
	trimmed := bytes.TrimSpace(raw)
	switch {
	case bytes.HasPrefix(trimmed, []byte("{")):
		var d Draw
		if err := json.Unmarshal(trimmed, &d); err != nil {
			return nil, fmt.Errorf("the list is not a draw document: %w", err)
		}
		return d.Frozen, nil
	case bytes.HasPrefix(trimmed, []byte("[")):
		var nums []json.Number
		if err := json.Unmarshal(trimmed, &nums); err != nil {
			var strs []string
			if err2 := json.Unmarshal(trimmed, &strs); err2 != nil {
				return nil, fmt.Errorf("the list is not a JSON array of numbers: %w", err)
			}
			return strs, nil
		}
		out := make([]string, len(nums))
		for i, n := range nums {
			out[i] = n.String()
		}
		return out, nil
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(trimmed))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if _, err := strconv.Atoi(line); err != nil {
			return nil, fmt.Errorf("the list holds %q, not a participation number", line)
		}
		out = append(out, line)
	}
	return out, sc.Err()
}
