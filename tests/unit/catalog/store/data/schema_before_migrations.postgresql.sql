CREATE TABLE audit_events (
	id BIGSERIAL NOT NULL, 
	ts TIMESTAMP WITH TIME ZONE NOT NULL, 
	principal VARCHAR(200), 
	object_type VARCHAR(32) NOT NULL, 
	object_name VARCHAR(200) NOT NULL, 
	privilege VARCHAR(16) NOT NULL, 
	allowed BOOLEAN NOT NULL, 
	reason TEXT NOT NULL, 
	status_code INTEGER NOT NULL, 
	latency_ms DOUBLE PRECISION NOT NULL, 
	trace_id VARCHAR(64) NOT NULL, 
	CONSTRAINT pk_audit_events PRIMARY KEY (id)
);

CREATE INDEX ix_audit_events_principal_ts ON audit_events (principal, ts);

CREATE INDEX ix_audit_events_ts ON audit_events (ts);

CREATE TABLE endpoints (
	name VARCHAR(200) NOT NULL, 
	description TEXT NOT NULL, 
	input_schema JSONB NOT NULL, 
	output_schema JSONB NOT NULL, 
	feature_views JSONB NOT NULL, 
	functions JSONB NOT NULL, 
	registered_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	CONSTRAINT pk_endpoints PRIMARY KEY (name)
);

CREATE TABLE feature_views (
	name VARCHAR(200) NOT NULL, 
	entity VARCHAR(200) NOT NULL, 
	ttl_seconds INTEGER, 
	spec JSONB NOT NULL, 
	description TEXT NOT NULL, 
	registered_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	CONSTRAINT pk_feature_views PRIMARY KEY (name)
);

CREATE TABLE functions (
	name VARCHAR(200) NOT NULL, 
	module VARCHAR(500) NOT NULL, 
	signature JSONB NOT NULL, 
	description TEXT NOT NULL, 
	registered_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	CONSTRAINT pk_functions PRIMARY KEY (name)
);

CREATE TABLE grants (
	id BIGSERIAL NOT NULL, 
	grantee VARCHAR(200) NOT NULL, 
	grantee_kind VARCHAR(16) NOT NULL, 
	privilege VARCHAR(16) NOT NULL, 
	object_type VARCHAR(16) NOT NULL, 
	pattern VARCHAR(200) NOT NULL, 
	created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	CONSTRAINT pk_grants PRIMARY KEY (id), 
	CONSTRAINT uq_grants_grantee_kind UNIQUE (grantee_kind, grantee, privilege, object_type, pattern), 
	CONSTRAINT ck_grants_grantee_kind CHECK (grantee_kind IN ('principal', 'group')), 
	CONSTRAINT ck_grants_privilege CHECK (privilege IN ('EXECUTE', 'READ', 'MANAGE')), 
	CONSTRAINT ck_grants_object_type CHECK (object_type IN ('endpoint', 'function', 'feature_view', 'catalog'))
);

CREATE TABLE principals (
	id BIGSERIAL NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	kind VARCHAR(16) NOT NULL, 
	created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	disabled BOOLEAN NOT NULL, 
	CONSTRAINT pk_principals PRIMARY KEY (id), 
	CONSTRAINT uq_principals_name UNIQUE (name), 
	CONSTRAINT ck_principals_principal_kind CHECK (kind IN ('user', 'service', 'agent'))
);

CREATE TABLE sync_runs (
	id BIGSERIAL NOT NULL, 
	view VARCHAR(200) NOT NULL, 
	store VARCHAR(200) NOT NULL, 
	started_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	finished_at TIMESTAMP WITH TIME ZONE, 
	watermark TIMESTAMP WITH TIME ZONE, 
	rows_read BIGINT NOT NULL, 
	rows_written BIGINT NOT NULL, 
	rows_skipped BIGINT NOT NULL, 
	rows_failed BIGINT NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	CONSTRAINT pk_sync_runs PRIMARY KEY (id), 
	CONSTRAINT ck_sync_runs_sync_status CHECK (status IN ('running', 'succeeded', 'failed'))
);

CREATE INDEX ix_sync_runs_view_store_started_at ON sync_runs (view, store, started_at);

CREATE TABLE group_memberships (
	id BIGSERIAL NOT NULL, 
	group_name VARCHAR(200) NOT NULL, 
	principal_id BIGINT NOT NULL, 
	CONSTRAINT pk_group_memberships PRIMARY KEY (id), 
	CONSTRAINT uq_group_memberships_group_name UNIQUE (group_name, principal_id), 
	CONSTRAINT fk_group_memberships_principal_id_principals FOREIGN KEY(principal_id) REFERENCES principals (id) ON DELETE CASCADE
);

CREATE INDEX ix_group_memberships_principal_id ON group_memberships (principal_id);

CREATE TABLE tokens (
	id VARCHAR(32) NOT NULL, 
	principal_id BIGINT NOT NULL, 
	token_hash VARCHAR(64) NOT NULL, 
	created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	expires_at TIMESTAMP WITH TIME ZONE, 
	revoked_at TIMESTAMP WITH TIME ZONE, 
	last_used_at TIMESTAMP WITH TIME ZONE, 
	description TEXT NOT NULL, 
	entity_filter JSONB, 
	CONSTRAINT pk_tokens PRIMARY KEY (id), 
	CONSTRAINT fk_tokens_principal_id_principals FOREIGN KEY(principal_id) REFERENCES principals (id) ON DELETE CASCADE, 
	CONSTRAINT uq_tokens_token_hash UNIQUE (token_hash)
);

CREATE INDEX ix_tokens_principal_id ON tokens (principal_id);

