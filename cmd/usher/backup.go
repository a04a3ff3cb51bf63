package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/usher-events/usher/internal/db"
)

// backupCmd copies the embedded SQLite database while the server runs.
type backupCmd struct {
	dbFlags
	Out string `arg:"" help:"The file to write (it must not exist)." type:"path"`
}

// restoreCmd puts a backup in place of a stopped server's database.
type restoreCmd struct {
	DataDir string `help:"Folder of the SQLite file to replace." default:"./usher-data"`
	From    string `arg:"" help:"A file written by usher backup." type:"existingfile"`
}

func (c *backupCmd) run(ctx context.Context, log *slog.Logger, stdout io.Writer) error {
	if err := c.validate(); err != nil {
		return err
	}
	if c.DatabaseURL != "" {
		return db.ErrBackupPostgres
	}
	if err := existingDatabase(c.dbFlags); err != nil {
		return err
	}
	conn, err := db.Open(ctx, db.Config{DataDir: c.DataDir, Logger: log})
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.Backup(ctx, c.Out); err != nil {
		return err
	}
	st, err := os.Stat(c.Out)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backed up %s to %s (%d bytes)\n", c.DataDir, c.Out, st.Size())
	return nil
}

func (c *restoreCmd) run(ctx context.Context, stdout io.Writer) error {
	kept, err := db.Restore(ctx, c.DataDir, c.From)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %s into %s\n", c.From, c.DataDir)
	if kept != "" {
		fmt.Fprintf(stdout, "the database it replaced is kept as %s\n", kept)
	}
	return nil
}
