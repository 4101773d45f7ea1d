-- legacy-shop: the demo monolith, as a ten-year-old shop database really looks.
-- Quirks a migration must clean up are marked "QUIRK".

CREATE TABLE customers (
  cust_no       varchar(12)  PRIMARY KEY,            -- QUIRK: alphanumeric key, 'C00000042'
  full_name     varchar(200) NOT NULL,               -- QUIRK: first and last name in one column
  email         varchar(200),
  phone         varchar(40),
  vip_flag      char(1)      NOT NULL DEFAULT 'N',   -- QUIRK: 'Y'/'N' flag
  status        char(1)      NOT NULL DEFAULT 'A',   -- QUIRK: one-letter code: A active, S suspended, C closed
  created_on    varchar(10)  NOT NULL,               -- QUIRK: date as text, 'DD.MM.YYYY'
  deleted_flag  char(1)      NOT NULL DEFAULT 'N',   -- QUIRK: soft delete
  notes         text,                                -- QUIRK: wide free text, TOASTed when large
  updated_at    timestamp    NOT NULL DEFAULT now()
);

CREATE TABLE addresses (
  addr_id       integer      PRIMARY KEY,
  cust_no       varchar(12)  NOT NULL REFERENCES customers (cust_no),
  addr_type     char(1)      NOT NULL,               -- QUIRK: B billing, S shipping
  line1         varchar(200) NOT NULL,
  line2         varchar(200),
  city          varchar(100) NOT NULL,
  zip           varchar(20)  NOT NULL,
  country_code  char(2)      NOT NULL
);

CREATE TABLE products (
  sku           varchar(20)  PRIMARY KEY,            -- 'SKU-00042'
  title         varchar(200) NOT NULL,
  price         numeric(12,2) NOT NULL,              -- QUIRK: amount plus currency column
  currency      char(3)      NOT NULL,
  weight_kg     numeric(8,3),                        -- QUIRK: kilograms; services want grams
  active_flag   char(1)      NOT NULL DEFAULT 'Y',
  description   text                                 -- QUIRK: wide, TOASTed
);

CREATE TABLE orders (
  order_ref     varchar(20)  PRIMARY KEY,            -- QUIRK: 'ORD-2019-00042'
  cust_no       varchar(12)  NOT NULL,               -- QUIRK: no foreign key (the monolith never had one)
  order_date    varchar(19)  NOT NULL,               -- QUIRK: timestamp as text 'YYYY-MM-DD HH24:MI:SS'
  status        char(1)      NOT NULL,               -- QUIRK: N new, P paid, S shipped, D delivered, X cancelled
  total_amount  numeric(12,2) NOT NULL,
  currency      char(3)      NOT NULL,
  lines_blob    text         NOT NULL,               -- QUIRK: order lines as a JSON array:
                                                     -- [{"sku":"SKU-00042","qty":2,"unit_price":"12.50"}]
  ship_to       text,                                -- QUIRK: 'name|line1|city|zip|CC', pipe-delimited
  deleted_flag  char(1)      NOT NULL DEFAULT 'N',
  updated_at    timestamp    NOT NULL DEFAULT now()
);

CREATE TABLE payments (
  payment_id    bigint       PRIMARY KEY,
  order_ref     varchar(20)  NOT NULL,
  amount        numeric(12,2) NOT NULL,
  currency      char(3)      NOT NULL,
  method        varchar(2)   NOT NULL,               -- QUIRK: CC card, PP paypal, BT bank transfer
  paid_at       timestamp    NOT NULL,
  status        char(1)      NOT NULL                -- QUIRK: A accepted, R refunded
);

CREATE TABLE shipments (
  shipment_no   varchar(16)  PRIMARY KEY,            -- 'SHP-000042'
  order_ref     varchar(20)  NOT NULL,
  carrier       varchar(20)  NOT NULL,
  tracking_code varchar(40),
  shipped_on    varchar(8),                          -- QUIRK: date as text 'YYYYMMDD'
  delivered_flag char(1)     NOT NULL DEFAULT 'N'
);

CREATE INDEX orders_cust_no ON orders (cust_no);
CREATE INDEX payments_order_ref ON payments (order_ref);
CREATE INDEX shipments_order_ref ON shipments (order_ref);

-- Not part of the monolith: Debezium's signal table (signal.data.collection in the connector
-- config), used to request incremental snapshots, e.g. to re-emit keys for a repair.
CREATE TABLE carve_signal (
  id            varchar(64)  PRIMARY KEY,
  type          varchar(32)  NOT NULL,
  data          varchar(2048)
);

-- Not part of the monolith: the table of Debezium's heartbeat.action.query (connector config),
-- written every heartbeat.interval.ms so that the replication slot advances while the captured
-- tables are idle and other databases on the server write WAL.
CREATE TABLE carve_heartbeat (
  id            integer      PRIMARY KEY,
  beat_at       timestamptz  NOT NULL
);
