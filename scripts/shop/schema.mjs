// DDL of the sample shop. Each table carries some of the column types that are hard to replicate
// losslessly. Among them are unsigned 64-bit keys, wide decimals, zero dates, TIME beyond 24 hours,
// ENUM and SET empty values, JSON with 20-digit numbers, BIT, SRIDs and generated columns.

export const SHOP_TABLES = ['customers', 'products', 'orders', 'order_items', 'page_views', 'stores'];

export const SHOP_DDL = {
  customers: `CREATE TABLE customers (
  id BIGINT UNSIGNED NOT NULL,
  email VARCHAR(191) NOT NULL,
  full_name VARCHAR(100) NOT NULL,
  country CHAR(2) NOT NULL,
  birth_date DATE NULL,
  member_since YEAR NOT NULL,
  interests SET('books','music','games','sports','travel','cooking') NOT NULL DEFAULT '',
  last_login DATETIME NULL,
  created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  is_vip BIT(1) NOT NULL DEFAULT b'0',
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci`,

  products: `CREATE TABLE products (
  id INT UNSIGNED NOT NULL,
  sku VARCHAR(32) NOT NULL,
  name VARCHAR(200) NOT NULL,
  name_length INT AS (CHAR_LENGTH(name)) VIRTUAL,
  category ENUM('books','music','games','garden','kitchen','toys','outdoor') NOT NULL,
  price DECIMAL(12,2) NOT NULL,
  precise_cost DECIMAL(65,30) NOT NULL,
  attributes JSON NULL,
  thumbnail BLOB NULL,
  active BIT(1) NOT NULL,
  flags BIT(12) NOT NULL,
  weight_g MEDIUMINT UNSIGNED NOT NULL,
  rating DOUBLE NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci`,

  orders: `CREATE TABLE orders (
  id BIGINT UNSIGNED NOT NULL,
  customer_id BIGINT UNSIGNED NOT NULL,
  status ENUM('pending','paid','shipped','delivered','cancelled','refunded') NOT NULL,
  total DECIMAL(12,2) NOT NULL,
  currency CHAR(3) NOT NULL,
  placed_at DATETIME(6) NOT NULL,
  updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  processing_time TIME NULL,
  notes TEXT NULL,
  PRIMARY KEY (id),
  KEY idx_orders_updated_at (updated_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci`,

  order_items: `CREATE TABLE order_items (
  order_id BIGINT UNSIGNED NOT NULL,
  line_no SMALLINT UNSIGNED NOT NULL,
  product_id INT UNSIGNED NOT NULL,
  quantity SMALLINT UNSIGNED NOT NULL,
  unit_price DECIMAL(12,2) NOT NULL,
  line_total DECIMAL(14,2) AS (quantity * unit_price) STORED,
  PRIMARY KEY (order_id, line_no)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci`,

  // No primary key and no unique index: the table is keyless on purpose, and some rows repeat.
  page_views: `CREATE TABLE page_views (
  customer_id BIGINT UNSIGNED NULL,
  product_id INT UNSIGNED NOT NULL,
  viewed_at DATETIME(3) NOT NULL,
  referrer VARCHAR(255) NULL,
  duration_ms INT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci`,

  stores: `CREATE TABLE stores (
  id SMALLINT UNSIGNED NOT NULL,
  name VARCHAR(100) NOT NULL,
  location POINT NOT NULL,
  opened_on DATE NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci`,
};
