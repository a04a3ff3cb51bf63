package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/usher-events/usher/internal/campaign"
)

// drawCmd groups the commands about winner draws.
type drawCmd struct {
	Verify drawVerifyCmd `cmd:"" help:"Recompute a draw's winners from its published seed and frozen list, and check the seed against its commitment; prints OK or FAIL."`
}

type drawVerifyCmd struct {
	URL        string `name:"url" help:"A published draw, https://host/v1/public/draws/{draw_id}: its seed, list, count, commitment and winners are fetched and checked." placeholder:"URL"`
	Seed       string `help:"The revealed seed, in hex." placeholder:"HEX"`
	List       string `help:"The frozen list: a file of participation numbers, one per line (or a JSON array, or the draw's JSON document)." placeholder:"FILE" type:"path"`
	Count      int    `help:"How many winners the draw picks."`
	Commitment string `help:"The commitment published before the draw (hex SHA-256 of the seed), to check the seed against." placeholder:"HEX"`
	Winners    string `help:"The published winners' participation numbers, comma-separated, to compare with." placeholder:"N,N,…"`
}

// run prints the recomputed winners and OK or FAIL; a failed check is also
// an error, so the exit status tells scripts.
func (c *drawVerifyCmd) run(ctx context.Context, stdout io.Writer) error {
	var chk *campaign.DrawCheck
	var err error
	switch {
	case c.URL != "":
		if c.Seed != "" || c.List != "" {
			return errors.New("give either --url or --seed with --list and --count, not both")
		}
		u, perr := url.Parse(c.URL)
		if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("--url must be an http(s) address like https://host/v1/public/draws/drw_…")
		}
		if u.Scheme == "http" && !isLoopback(u.Hostname()) {
			return fmt.Errorf("--url must use https unless it is on this machine")
		}
		hctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		d, ferr := campaign.FetchPublicDraw(hctx, &http.Client{Timeout: 30 * time.Second}, c.URL)
		if ferr != nil {
			return ferr
		}
		fmt.Fprintf(stdout, "draw %s of %s: %d of %d entries\n", d.ID, d.Campaign, d.Count, len(d.Frozen))
		chk, err = campaign.CheckPublishedDraw(d)
	case c.Seed != "" && c.List != "" && c.Count > 0:
		f, oerr := os.Open(c.List)
		if oerr != nil {
			return oerr
		}
		frozen, rerr := campaign.ReadFrozenList(f)
		f.Close()
		if rerr != nil {
			return rerr
		}
		var published []string
		if c.Winners != "" {
			for _, w := range strings.Split(c.Winners, ",") {
				published = append(published, strings.TrimSpace(w))
			}
		}
		fmt.Fprintf(stdout, "list of %d entries, %d winners\n", len(frozen), c.Count)
		chk, err = campaign.CheckDraw(c.Seed, frozen, c.Count, c.Commitment, published)
	default:
		return errors.New("give --url, or --seed, --list and --count")
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "winners: %s\n", strings.Join(chk.Winners, ", "))
	if chk.CommitmentChecked {
		fmt.Fprintf(stdout, "commitment: %s\n", okFail(chk.CommitmentOK))
	} else {
		fmt.Fprintln(stdout, "commitment: not checked (no --commitment)")
	}
	if chk.PublishedChecked {
		fmt.Fprintf(stdout, "published winners: %s\n", okFail(chk.WinnersMatch))
	}
	fmt.Fprintln(stdout, okFail(chk.OK()))
	if !chk.OK() {
		return errors.New("the draw does not verify")
	}
	return nil
}

func okFail(ok bool) string {
	if ok {
		return "OK"
	}
	return "FAIL"
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
