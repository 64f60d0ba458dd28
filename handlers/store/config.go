package store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/rds/auth"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lambdabridge/lambdabridge/handlers/envvar"
)

// Auth methods for DB_AUTH.
const (
	// AuthPassword uses PGPASSWORD (or the password in DATABASE_URL).
	AuthPassword = "password"
	// AuthIAM signs an RDS IAM authentication token locally for every new connection.
	AuthIAM = "iam"
)

// DefaultRecordsTable is the records-mode table used when RECORDS_TABLE is not set.
const DefaultRecordsTable = "records"

// DefaultConnectTimeout bounds one connection attempt when the URL sets no connect_timeout.
const DefaultConnectTimeout = 10 * time.Second

// The store's variables: libpq's own names where libpq has the setting, lambdabridge's
// (DB_*, RECORDS_*) where it has not.
const (
	varURL           = "DATABASE_URL"
	varHost          = "PGHOST"
	varPort          = "PGPORT"
	varName          = "PGDATABASE"
	varUser          = "PGUSER"
	varPassword      = "PGPASSWORD"
	varSSLMode       = "PGSSLMODE"
	varSSLRootCert   = "PGSSLROOTCERT"
	varAuth          = "DB_AUTH"
	varRegion        = "AWS_REGION"
	varRecordsKey    = "RECORDS_KEY"
	varRecordsTable  = "RECORDS_TABLE"
	varAdminUser     = "DB_ADMIN_USER"
	varAdminPassword = "DB_ADMIN_PASSWORD"
)

// libpqSettings are the libpq variables Config covers: the connection string of the PG*
// form names each of them, so that pgx never takes one from the process environment.
var libpqSettings = []string{varHost, varPort, varName, varUser, varPassword, varSSLMode, varSSLRootCert}

// Config is the store's settings: the database part of the writer's and the relay's
// environment, read once at cold start by ConfigFromEnv and rendered by Env.
type Config struct {
	URL string // DATABASE_URL: the whole connection, instead of the PG* variables

	Host     string // PGHOST
	Port     int    // PGPORT, default 5432
	Name     string // PGDATABASE, default "postgres"
	User     string // PGUSER
	Auth     string // DB_AUTH: AuthPassword (default) or AuthIAM
	Password string // PGPASSWORD (AuthPassword only); never logged
	// SSLMode is PGSSLMODE. Default verify-full: the server certificate is checked against
	// SSLRootCert when set, else against the embedded Amazon RDS CA bundle (RDSRootCAs).
	SSLMode     string
	SSLRootCert string // PGSSLROOTCERT: path to a PEM CA bundle; empty = the embedded RDS bundle

	// Region is AWS_REGION, for the IAM token. Env writes it only when set: leave it empty
	// for a Lambda function, whose runtime sets AWS_REGION itself (and refuses it as a
	// configured variable).
	Region      string
	Credentials aws.CredentialsProvider // for the IAM token; set by the caller, not from the environment

	RecordsKey   string // RECORDS_KEY: records mode when set
	RecordsTable string // RECORDS_TABLE, default DefaultRecordsTable

	// AdminUser (DB_ADMIN_USER) and AdminPassword (DB_ADMIN_PASSWORD, never logged) turn on
	// the writer-role setup: Ensure first connects once as this user with password auth (same
	// host, database and TLS settings) and creates the writer's role, its grants and the
	// schema (see the package doc). Both or neither. A role it creates has no password: it
	// is meant for DB_AUTH=iam (rds_iam) or a server that trusts the writer (tests, local).
	AdminUser     string
	AdminPassword string

	// iamRole is the role granted to the writer when it exists (empty: "rds_iam", RDS's); a
	// field so that tests can use a role of their own on a shared server.
	iamRole string
}

var sslModes = map[string]bool{"disable": true, "allow": true, "prefer": true, "require": true, "verify-ca": true, "verify-full": true}

var tableName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$`)

// Env renders the store's variables, which ConfigFromEnv parses back to c. Empty fields
// (and a zero Port) are left out; Credentials is not part of the environment.
func (c Config) Env() map[string]string {
	e := envvar.Vars{}
	e.String(varURL, c.URL)
	e.String(varHost, c.Host)
	if c.Port != 0 {
		e.Int(varPort, int64(c.Port))
	}
	e.String(varName, c.Name)
	e.String(varUser, c.User)
	e.String(varPassword, c.Password)
	e.String(varSSLMode, c.SSLMode)
	e.String(varSSLRootCert, c.SSLRootCert)
	e.String(varAuth, c.Auth)
	e.String(varRegion, c.Region)
	e.String(varRecordsKey, c.RecordsKey)
	e.String(varRecordsTable, c.RecordsTable)
	e.String(varAdminUser, c.AdminUser)
	e.String(varAdminPassword, c.AdminPassword)
	return e
}

// ConfigFromEnv reads the store's settings through getenv (os.Getenv in a handler) and
// validates them, applying the defaults: the connection as DATABASE_URL or as PGHOST, PGPORT,
// PGDATABASE, PGUSER, PGPASSWORD, PGSSLMODE and PGSSLROOTCERT (not both), plus DB_AUTH,
// AWS_REGION, RECORDS_KEY, RECORDS_TABLE, DB_ADMIN_USER and DB_ADMIN_PASSWORD. Errors name
// the variable at fault and the accepted form.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	r := envvar.NewReader(getenv)
	c := Config{
		URL:           r.Raw(varURL),
		Host:          r.Raw(varHost),
		Port:          r.Port(varPort),
		Name:          r.Raw(varName),
		User:          r.Raw(varUser),
		Auth:          r.Raw(varAuth),
		Password:      r.Raw(varPassword),
		SSLMode:       r.Raw(varSSLMode),
		SSLRootCert:   r.Raw(varSSLRootCert),
		Region:        r.Raw(varRegion),
		RecordsKey:    r.Raw(varRecordsKey),
		RecordsTable:  r.Raw(varRecordsTable),
		AdminUser:     r.Raw(varAdminUser),
		AdminPassword: r.Raw(varAdminPassword),
	}
	if c.URL != "" {
		var both []string
		for _, name := range libpqSettings {
			if r.Raw(name) != "" {
				both = append(both, name)
			}
		}
		if len(both) > 0 {
			r.Fail(fmt.Errorf("%s and %s are both set: give the connection one way, as %s or as the PG* variables", varURL, strings.Join(both, ", "), varURL))
		}
	}
	if err := r.Err("store config"); err != nil {
		return Config{}, err
	}
	if err := c.normalize(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// normalize applies defaults and validates.
func (c *Config) normalize() error {
	if c.Auth == "" {
		c.Auth = AuthPassword
	}
	if c.Auth != AuthPassword && c.Auth != AuthIAM {
		return fmt.Errorf("store config: DB_AUTH %q is not supported (want %q or %q)", c.Auth, AuthIAM, AuthPassword)
	}
	if c.RecordsKey != "" {
		if c.RecordsTable == "" {
			c.RecordsTable = DefaultRecordsTable
		}
		if !tableName.MatchString(c.RecordsTable) {
			return fmt.Errorf("store config: RECORDS_TABLE %q is not a table name (want letters, digits and _, optionally schema.table)", c.RecordsTable)
		}
	}
	if (c.AdminUser == "") != (c.AdminPassword == "") {
		return errors.New("store config: DB_ADMIN_USER and DB_ADMIN_PASSWORD go together (the writer-role setup needs both, or set neither)")
	}
	if c.URL != "" {
		pc, err := pgx.ParseConfig(c.URL)
		if err != nil {
			return fmt.Errorf("store config: DATABASE_URL does not parse (want postgres://user@host:port/db?sslmode=...): %w", redact(err))
		}
		return c.checkAdmin(pc.User)
	}
	if c.Host == "" {
		return errors.New("store config: neither DATABASE_URL nor PGHOST is set")
	}
	if c.User == "" {
		return errors.New("store config: PGUSER is not set (needed with PGHOST)")
	}
	if c.Port == 0 {
		c.Port = 5432
	}
	if c.Name == "" {
		c.Name = "postgres"
	}
	if c.SSLMode == "" {
		c.SSLMode = "verify-full"
	}
	if !sslModes[c.SSLMode] {
		return fmt.Errorf("store config: PGSSLMODE %q is not one of disable, allow, prefer, require, verify-ca, verify-full", c.SSLMode)
	}
	if err := c.checkAdmin(c.User); err != nil {
		return err
	}
	switch c.Auth {
	case AuthPassword:
		if c.Password == "" {
			return errors.New("store config: DB_AUTH=password needs PGPASSWORD")
		}
	case AuthIAM:
		if c.SSLMode == "disable" || c.SSLMode == "allow" || c.SSLMode == "prefer" {
			return fmt.Errorf("store config: DB_AUTH=iam needs TLS, but PGSSLMODE is %s (want require, verify-ca or verify-full)", c.SSLMode)
		}
	}
	return nil
}

// writerIAMRole is the role granted to the writer when it exists.
func (c Config) writerIAMRole() string {
	if c.iamRole != "" {
		return c.iamRole
	}
	return "rds_iam"
}

// checkAdmin refuses a writer-role setup whose admin is the writer itself.
func (c *Config) checkAdmin(writer string) error {
	if c.AdminUser != "" && c.AdminUser == writer {
		return fmt.Errorf("store config: DB_ADMIN_USER %q is the writer's own user: the setup creates the writer's role as a different, privileged user", c.AdminUser)
	}
	return nil
}

// redact drops a URL parse error's detail, which can quote the password.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return errors.New(ue.Op + " failed")
	}
	return errors.New("invalid connection string")
}

// connString is the connection string: DATABASE_URL as given, or for the PG* form a URL that
// names every setting Config covers (sslrootcert even when empty: an explicit empty value
// overrides PGSSLROOTCERT and ~/.postgresql/root.crt), without the password, which is set on
// the parsed configuration.
func (c Config) connString() string {
	if c.URL != "" {
		return c.URL
	}
	q := url.Values{}
	q.Set("sslmode", c.SSLMode)
	q.Set("sslrootcert", c.SSLRootCert)
	u := url.URL{Scheme: "postgres", User: url.User(c.User), Host: net.JoinHostPort(c.Host, strconv.Itoa(c.Port)), Path: "/" + c.Name, RawQuery: q.Encode()}
	return u.String()
}

// checkProcessEnv refuses libpq variables in the process environment that pgx would read on
// top of c (see the package doc): in the PG* form those beyond the seven its connection
// string and password pin, with DATABASE_URL every one (pgx would fill what the URL leaves out).
func (c Config) checkProcessEnv() error {
	var stray []string
	for _, name := range envvar.ProcessLibpq() {
		if c.URL == "" && slices.Contains(libpqSettings, name) {
			continue
		}
		stray = append(stray, name)
	}
	if len(stray) == 0 {
		return nil
	}
	them := "it"
	if len(stray) > 1 {
		them = "them"
	}
	return fmt.Errorf("store config: the process environment sets %s, which pgx would read on top of the store's settings: unset %s (the connection comes from the settings alone)", strings.Join(stray, ", "), them)
}

// poolConfig turns the configuration into a one-connection pool config whose BeforeConnect
// hook signs a fresh IAM token for every new connection when Auth is AuthIAM.
func (c Config) poolConfig() (*pgxpool.Config, error) {
	if err := c.checkProcessEnv(); err != nil {
		return nil, err
	}
	pc, err := pgxpool.ParseConfig(c.connString())
	if err != nil {
		return nil, fmt.Errorf("store config: parse connection settings: %w", redact(err))
	}
	pc.MaxConns = 1 // one invocation at a time per Lambda instance
	pc.MinConns = 0
	pc.HealthCheckPeriod = time.Minute
	if pc.ConnConfig.ConnectTimeout == 0 {
		pc.ConnConfig.ConnectTimeout = DefaultConnectTimeout
	}
	if err := c.useRDSRoots(pc.ConnConfig); err != nil {
		return nil, err
	}
	if c.URL == "" {
		pc.ConnConfig.Password = c.Password // PGPASSWORD in the process environment must not stand in
	}
	if c.Auth == AuthIAM {
		if c.Credentials == nil {
			return nil, errors.New("store config: DB_AUTH=iam but no AWS credentials were provided")
		}
		if c.Region == "" {
			return nil, errors.New("store config: DB_AUTH=iam needs AWS_REGION")
		}
		pc.BeforeConnect = c.signToken
	}
	return pc, nil
}

// useRDSRoots makes cc verify the server against the embedded RDS bundle where the PG*
// form asks for verification without naming a bundle: pgx verifies against the system
// roots when no sslrootcert is given, and RDS's CAs are not among them.
func (c Config) useRDSRoots(cc *pgx.ConnConfig) error {
	if c.URL != "" || c.SSLRootCert != "" || (c.SSLMode != "verify-ca" && c.SSLMode != "verify-full") {
		return nil
	}
	roots, err := RDSRootCAs()
	if err != nil {
		return err
	}
	cc.TLSConfig.RootCAs = roots
	return nil
}

// adminConnConfig is the writer-role setup's connection: the data connection's host, port, database
// and TLS settings, as AdminUser with AdminPassword (password auth, never IAM).
func (c Config) adminConnConfig() (*pgx.ConnConfig, error) {
	if err := c.checkProcessEnv(); err != nil {
		return nil, err
	}
	cc, err := pgx.ParseConfig(c.connString())
	if err != nil {
		return nil, fmt.Errorf("store config: parse connection settings: %w", redact(err))
	}
	if cc.ConnectTimeout == 0 {
		cc.ConnectTimeout = DefaultConnectTimeout
	}
	if err := c.useRDSRoots(cc); err != nil {
		return nil, err
	}
	cc.User, cc.Password = c.AdminUser, c.AdminPassword
	return cc, nil
}

// signToken is the BeforeConnect hook for IAM auth: it signs an RDS auth token (valid 15
// minutes; local SigV4 presigning, no network) for the connection's host, port and user and
// uses it as the password.
func (c Config) signToken(ctx context.Context, cc *pgx.ConnConfig) error {
	endpoint := net.JoinHostPort(cc.Host, strconv.Itoa(int(cc.Port)))
	tok, err := auth.BuildAuthToken(ctx, endpoint, c.Region, cc.User, c.Credentials)
	if err != nil {
		return fmt.Errorf("store: build RDS IAM auth token for %s@%s: %w", cc.User, endpoint, err)
	}
	cc.Password = withPathSlash(tok, endpoint)
	return nil
}

// withPathSlash writes the token as `aws rds generate-db-auth-token` does, "host:port/?...".
// feature/rds/auth v1.7.11 omits the "/" (aws-sdk-go-v2 issue #3365), which Aurora's stricter
// token check rejects. The signature is unchanged: SigV4 signs an empty path as "/".
func withPathSlash(tok, endpoint string) string {
	if rest, ok := strings.CutPrefix(tok, endpoint+"?"); ok {
		return endpoint + "/?" + rest
	}
	return tok
}
