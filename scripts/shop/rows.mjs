// Row generators of the sample shop. Each table draws from its own seeded generator, so the rows
// of one table do not change when another table's generator changes. Values are SQL literals.
import { bitLiteral, centsText, dateText, dateTimeText, literal, timeText, utcSeconds, SECONDS_PER_DAY } from './sql-values.mjs';

const FIRST_NAMES = ['Ana', 'Bjørn', 'Chloé', 'Dmitri', 'Eun-ji', 'Fatima', 'Giulia', 'Hiroshi', 'Inês', 'Jamal', 'Kofi', 'Léa', 'Mateo',
  'Nadia', 'Oluwaseun', 'Priya', 'Quentin', 'Rosa', 'Søren', 'Tariq', 'Uma', 'Valentina', 'Wei', 'Ximena', 'Yusuf', 'Zoë'];
const LAST_NAMES = ['Almeida', 'Brandt', 'Chen', 'Dubois', 'Eriksen', 'Fernández', 'García', 'Hughes', 'Ivanova', 'Jansen', 'Kowalski',
  'Larsen', 'Müller', 'Nakamura', "O'Brien", 'Petrov', 'Quispe', 'Rossi', 'Singh', 'Tanaka', 'Usman', 'Veld', 'Wójcik', 'Yamada'];
// Characters outside the Basic Multilingual Plane: four bytes each in UTF-8.
const FOUR_BYTE_SUFFIXES = ['🦆', '🐉', '🌮', '🎸', '🚀', '𝄞', '𠜎', '👩‍💻'];
const COUNTRIES = ['US', 'DE', 'FR', 'GB', 'JP', 'BR', 'IN', 'NG', 'ES', 'IT', 'CA', 'AU'];
const INTERESTS = ['books', 'music', 'games', 'sports', 'travel', 'cooking'];
const CATEGORIES = ['books', 'music', 'games', 'garden', 'kitchen', 'toys', 'outdoor'];
const ADJECTIVES = ['Classic', 'Deluxe', 'Compact', 'Organic', 'Vintage', 'Smart', 'Rustic', 'Ultra', 'Mini', 'Heavy-duty'];
const NOUNS = ['Teapot', 'Board Game', 'Vinyl Record', 'Garden Hose', 'Novel', 'Kite', 'Skillet', 'Lantern', 'Puzzle', 'Backpack'];
const COLORS = ['red', 'green', 'blue', 'black', 'white', 'ochre'];
const STATUSES = ['pending', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded'];
const CURRENCIES = ['EUR', 'USD', 'GBP', 'JPY'];
const NOTES = ['Leave at the door', 'Gift — please wrap 🎁', 'Call before delivery\nGate code 1234', 'Path C:\\Users\\shop', 'Fragile "glass"'];
const REFERRERS = ['https://search.example/?q=duck', 'https://social.example/p/42', 'newsletter', ''];
const CITIES = ['Lisbon', 'Kraków', 'Osaka', 'Lagos', 'Québec', 'São Paulo', 'Zürich', 'Reykjavík'];

const TWO_TO_63 = 2n ** 63n;
const UNSIGNED_64_MAX = 2n ** 64n - 1n;

/** Row counts of every table for a scale factor (1 gives the full demo size). */
export function shopSizes(scale) {
  const scaled = (base, minimum) => Math.max(minimum, Math.round(base * scale));
  return {
    customers: scaled(50000, 20),
    products: scaled(5000, 10),
    orders: scaled(300000, 100),
    pageViews: scaled(40000, 50),
    stores: scaled(50, 5),
  };
}

/**
 * Id of the customer at `index`. The last 1 % (at least 3) of ids lie above 2^63, and the very last
 * is 2^64 − 1, so unsigned 64-bit keys that do not fit a signed BIGINT are always present.
 */
export function customerId(index, count) {
  const highCount = Math.max(3, Math.round(count * 0.01));
  const firstHigh = count - highCount;
  if (index < firstHigh) return String(index + 1);
  if (index === count - 1) return UNSIGNED_64_MAX.toString();
  return (TWO_TO_63 + BigInt(index - firstHigh) * 7919n).toString();
}

function birthDate(random) {
  const roll = random.float();
  if (roll < 0.02) return "'0000-00-00'";
  if (roll < 0.025) return `'${random.int(1940, 2005)}-00-00'`;
  if (roll < 0.03) return `'${random.int(1940, 2005)}-${String(random.int(1, 12)).padStart(2, '0')}-00'`;
  if (roll < 0.08) return 'NULL';
  return literal(dateText(utcSeconds(1940) + random.int(0, 66 * 365) * SECONDS_PER_DAY));
}

function* customerRows(random, sizes) {
  for (let index = 0; index < sizes.customers; index++) {
    let name = `${random.pick(FIRST_NAMES)} ${random.pick(LAST_NAMES)}`;
    if (random.chance(0.05)) name += ` ${random.pick(FOUR_BYTE_SUFFIXES)}`;
    const interests = INTERESTS.filter(() => random.chance(0.25)).join(',');
    const lastLoginRoll = random.float();
    let lastLogin = 'NULL';
    if (lastLoginRoll < 0.01) lastLogin = "'0000-00-00 00:00:00'";
    else if (lastLoginRoll > 0.1) lastLogin = literal(dateTimeText(utcSeconds(2021) + random.int(0, 4 * 365 * SECONDS_PER_DAY)));
    // A numeric 0 stores YEAR 0000, whereas the string '0' would store 2000. The second customer
    // always has it, so even the smallest scale contains the zero year.
    const zeroYear = random.chance(0.005) || index === 1;
    const memberSince = zeroYear ? '0' : String(random.int(2005, 2025));

    yield [
      customerId(index, sizes.customers),
      literal(`customer${index + 1}@example.com`),
      literal(name),
      literal(random.pick(COUNTRIES)),
      birthDate(random),
      memberSince,
      literal(interests),
      lastLogin,
      literal(dateTimeText(utcSeconds(2018) + random.int(0, 6 * 365 * SECONDS_PER_DAY))),
      bitLiteral(random.chance(0.05) ? 1 : 0),
    ];
  }
}

/** JSON text with nesting, an escaped quote and a 20-digit integer that no double can hold. */
function productAttributes(random) {
  const dims = `{"w":${random.int(1, 500)},"h":${random.int(1, 500)},"unit":"mm","box":{"layers":${random.int(1, 4)}}}`;
  const tags = `["${random.pick(COLORS)}","${random.pick(CATEGORIES)}"]`;
  return `{"serial":${random.digits(20)},"color":"${random.pick(COLORS)}","dims":${dims},"tags":${tags},"label":"12\\" size"}`;
}

function preciseCost(random, id) {
  if (id === 1) return '99999999999999999999999999999999999.999999999999999999999999999999';
  if (id === 2) return '-0.000000000000000000000000000001';
  return `${random.digits(random.int(1, 35))}.${random.paddedDigits(30)}`;
}

function* productRows(random, sizes) {
  for (let id = 1; id <= sizes.products; id++) {
    let name = `${random.pick(ADJECTIVES)} ${random.pick(NOUNS)}`;
    if (random.chance(0.03)) name += ` ${random.pick(FOUR_BYTE_SUFFIXES)}`;
    const thumbnailRoll = random.float();
    let thumbnail = literal(random.bytes(random.int(1, 64)));
    if (thumbnailRoll < 0.05) thumbnail = 'NULL';
    else if (thumbnailRoll < 0.07) thumbnail = "''";

    yield [
      String(id),
      literal(`SKU-${String(id).padStart(6, '0')}`),
      literal(name),
      literal(random.pick(CATEGORIES)),
      id === 1 ? '9999999999.99' : centsText(random.int(99, 99999)),
      preciseCost(random, id),
      random.chance(0.05) ? 'NULL' : literal(productAttributes(random)),
      thumbnail,
      bitLiteral(random.chance(0.9) ? 1 : 0),
      bitLiteral(id === 1 ? 4095 : random.int(0, 4095)),
      id === 1 ? '16777215' : String(random.int(5, 40000)),
      random.chance(0.1) ? 'NULL' : String(random.int(0, 50) / 10),
    ];
  }
}

function processingTime(random) {
  const roll = random.float();
  if (roll < 0.05) return 'NULL';
  // Hours beyond 24 and negative values are both valid TIME values.
  if (roll < 0.12) return literal(timeText(random.int(25 * 3600, 838 * 3600 + 3599)));
  if (roll < 0.13) return literal(timeText(-random.int(1, 48 * 3600)));
  return literal(timeText(random.int(0, 24 * 3600 - 1)));
}

function* orderRows(random, sizes) {
  const start = utcSeconds(2021);
  const span = 4 * 365 * SECONDS_PER_DAY;
  for (let id = 1; id <= sizes.orders; id++) {
    const placedAt = start + Math.floor((id / sizes.orders) * span) + random.int(0, 3600);
    const updatedAt = placedAt + random.int(0, 30 * SECONDS_PER_DAY);
    // '' is not a listed label: with strict mode off it stores the ENUM's empty value (index 0).
    const status = random.chance(0.003) ? "''" : literal(random.pick(STATUSES));

    yield [
      String(id),
      customerId(random.int(0, sizes.customers - 1), sizes.customers),
      status,
      centsText(random.int(100, 2500000)),
      literal(random.pick(CURRENCIES)),
      literal(dateTimeText(placedAt, 6, random.int(0, 999999))),
      literal(dateTimeText(updatedAt)),
      processingTime(random),
      random.chance(0.2) ? literal(random.pick(NOTES)) : 'NULL',
    ];
  }
}

function* orderItemRows(random, sizes) {
  for (let orderId = 1; orderId <= sizes.orders; orderId++) {
    const lines = random.int(1, 3);
    for (let lineNo = 1; lineNo <= lines; lineNo++) {
      yield [String(orderId), String(lineNo), String(random.int(1, sizes.products)), String(random.int(1, 12)), centsText(random.int(99, 99999))];
    }
  }
}

function* pageViewRows(random, sizes) {
  let previous = null;
  for (let index = 0; index < sizes.pageViews; index++) {
    // Every 100th row repeats the previous one exactly: a keyless table can hold duplicates.
    if (previous && index % 100 === 99) {
      yield previous;
      continue;
    }
    const customer = random.chance(0.3) ? 'NULL' : customerId(random.int(0, sizes.customers - 1), sizes.customers);
    const viewedAt = utcSeconds(2024) + random.int(0, 365 * SECONDS_PER_DAY);
    previous = [
      customer,
      String(random.int(1, sizes.products)),
      literal(dateTimeText(viewedAt, 3, random.int(0, 999) * 1000)),
      random.chance(0.4) ? 'NULL' : literal(random.pick(REFERRERS)),
      String(random.int(50, 600000)),
    ];
    yield previous;
  }
}

function* storeRows(random, sizes) {
  for (let id = 1; id <= sizes.stores; id++) {
    const latitude = (random.int(-60000000, 60000000) / 1e6).toFixed(6);
    const longitude = (random.int(-170000000, 170000000) / 1e6).toFixed(6);
    // Most points carry SRID 4326 (WGS 84); every fifth has SRID 0, so both forms are present.
    const srid = id % 5 === 0 ? 0 : 4326;
    yield [
      String(id),
      literal(`${random.pick(CITIES)} ${id}`),
      `ST_GeomFromText('POINT(${latitude} ${longitude})', ${srid})`,
      literal(dateText(utcSeconds(2010) + random.int(0, 14 * 365) * SECONDS_PER_DAY)),
    ];
  }
}

/** Insert columns (generated columns left out) and row source of every table, in load order. */
export const SHOP_ROW_SOURCES = [
  { table: 'customers', columns: ['id', 'email', 'full_name', 'country', 'birth_date', 'member_since', 'interests', 'last_login', 'created_at', 'is_vip'], rows: customerRows },
  { table: 'products', columns: ['id', 'sku', 'name', 'category', 'price', 'precise_cost', 'attributes', 'thumbnail', 'active', 'flags', 'weight_g', 'rating'], rows: productRows },
  { table: 'orders', columns: ['id', 'customer_id', 'status', 'total', 'currency', 'placed_at', 'updated_at', 'processing_time', 'notes'], rows: orderRows },
  { table: 'order_items', columns: ['order_id', 'line_no', 'product_id', 'quantity', 'unit_price'], rows: orderItemRows },
  { table: 'page_views', columns: ['customer_id', 'product_id', 'viewed_at', 'referrer', 'duration_ms'], rows: pageViewRows },
  { table: 'stores', columns: ['id', 'name', 'location', 'opened_on'], rows: storeRows },
];
