package dev.carve.examples;

import static dev.carve.examples.internal.ShopFormats.between;
import static dev.carve.examples.internal.ShopFormats.pick;

import dev.carve.examples.internal.CopyWriter;
import dev.carve.examples.internal.ShopFormats;
import dev.carve.examples.internal.ShopFormats.Line;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fills an empty legacy-shop database with deterministic demo data (the same seed and sizes give
 * the same rows), with the quirks of {@code schema.sql}: text keys, text dates in three formats,
 * 'Y'/'N' flags, one-letter codes, amounts with a currency, order lines in a JSON blob, a
 * pipe-delimited ship-to, soft-deleted rows, and customer notes large enough to be TOASTed.
 *
 * <p>Rows are loaded with {@code COPY} in one transaction: 100,000 orders load in seconds.
 */
public final class DataGenerator {
  private static final Logger LOG = LoggerFactory.getLogger(DataGenerator.class);
  private static final int FLUSH_CHARS = 4 << 20;
  private static final LocalDate FIRST_DAY = LocalDate.of(2012, 1, 1);
  private static final LocalDate FIRST_ORDER_DAY = LocalDate.of(2018, 1, 1);
  private static final LocalDate LAST_DAY = LocalDate.of(2025, 1, 1);

  /** Every this many customers, one has notes larger than 8 KB (TOASTed). */
  static final int TOASTED_NOTES_EVERY = 30;

  private final Sizes sizes;
  private final long seed;

  /**
   * How much data to generate.
   *
   * @param customers number of customers, at least 1; each has a billing address and some a
   *     shipping address
   * @param products number of products, at least 5
   * @param orders number of orders, at least 0; each has 1–5 lines, and a payment and a shipment
   *     depending on its status
   */
  public record Sizes(int customers, int products, int orders) {
    /** The demo: 2,000 customers, 200 products, 6,000 orders. */
    public static final Sizes DEMO = new Sizes(2_000, 200, 6_000);

    /** Checks the bounds. */
    public Sizes {
      if (customers < 1 || products < 5 || orders < 0) {
        throw new IllegalArgumentException(
            "Sizes need at least 1 customer, 5 products and 0 orders, got customers="
                + customers
                + ", products="
                + products
                + ", orders="
                + orders);
      }
    }

    /** Sizes in the demo's proportions: 3 orders per customer, a product per 10 customers. */
    public static Sizes forCustomers(int customers) {
      return new Sizes(customers, Math.max(20, customers / 10), customers * 3);
    }
  }

  /** Receives progress while data is loaded; called on the loading thread. */
  @FunctionalInterface
  public interface Progress {
    /** Ignores progress. */
    Progress NONE = (table, done, total) -> {};

    /**
     * Reports rows loaded so far into a table.
     *
     * @param table the table being loaded
     * @param done rows of that table loaded so far
     * @param total rows planned for that table, or -1 when not known in advance
     */
    void onProgress(String table, long done, long total);
  }

  /**
   * What was loaded.
   *
   * @param rowsPerTable rows loaded per table, in load order
   * @param took the time the load took
   */
  public record Result(Map<String, Long> rowsPerTable, Duration took) {
    /** Copies the map. */
    public Result {
      rowsPerTable = Collections.unmodifiableMap(new LinkedHashMap<>(rowsPerTable));
    }

    /** Rows loaded into all tables. */
    public long totalRows() {
      return rowsPerTable.values().stream().mapToLong(Long::longValue).sum();
    }
  }

  private DataGenerator(Sizes sizes, long seed) {
    this.sizes = Objects.requireNonNull(sizes, "sizes");
    this.seed = seed;
  }

  /**
   * A generator.
   *
   * @param sizes how much to generate, never null
   * @param seed the random seed; the same seed and sizes give the same data
   */
  public static DataGenerator create(Sizes sizes, long seed) {
    return new DataGenerator(sizes, seed);
  }

  /** The sizes this generator loads. */
  public Sizes sizes() {
    return sizes;
  }

  /**
   * Loads the data in one transaction into a database whose legacy-shop schema exists and is empty.
   *
   * @param connection an open connection, never null; its auto-commit mode is restored afterwards
   * @param progress receives progress, never null (use {@link Progress#NONE})
   * @throws IllegalStateException when the tables are not empty (loading would clash with keys)
   * @throws SQLException when loading fails; nothing is committed then
   */
  public Result generate(Connection connection, Progress progress) throws SQLException {
    Objects.requireNonNull(progress, "progress");
    if (!LegacyShop.isEmpty(connection)) {
      throw new IllegalStateException(
          "The legacy-shop tables already hold data; generate into an empty database");
    }
    long started = System.nanoTime();
    boolean autoCommit = connection.getAutoCommit();
    connection.setAutoCommit(false);
    Map<String, Long> rows = new LinkedHashMap<>();
    try {
      Catalog catalog = loadProducts(connection, progress, rows);
      List<Customer> customers = loadCustomers(connection, progress, rows);
      loadOrders(connection, progress, rows, catalog, customers);
      connection.commit();
    } catch (SQLException | RuntimeException e) {
      connection.rollback();
      throw e;
    } finally {
      connection.setAutoCommit(autoCommit);
    }
    try (Statement s = connection.createStatement()) {
      for (String table : LegacyShop.TABLES) {
        s.execute("ANALYZE " + LegacyShop.qualified(table));
      }
    }
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    Result result = new Result(rows, took);
    LOG.info("Loaded legacy-shop data {} in {} ms (seed {})", rows, took.toMillis(), seed);
    return result;
  }

  private record Catalog(String[] skus, BigDecimal[] prices, String[] currencies) {}

  private record Customer(String custNo, String name, String ship, String currency) {}

  private Catalog loadProducts(Connection c, Progress progress, Map<String, Long> rows)
      throws SQLException {
    Random r = new Random(seed * 31 + 1);
    int n = sizes.products();
    String[] skus = new String[n];
    BigDecimal[] prices = new BigDecimal[n];
    String[] currencies = new String[n];
    CopyWriter w =
        new CopyWriter(
            c,
            LegacyShop.qualified("products"),
            columns(
                "sku", "title", "price", "currency", "weight_kg", "active_flag", "description"));
    long done = 0;
    for (int i = 0; i < n; i++) {
      skus[i] = ShopFormats.sku(i + 1);
      prices[i] = ShopFormats.money(0.99 + r.nextInt(25_000) / 100.0);
      int cur = r.nextInt(10);
      currencies[i] = cur < 8 ? "EUR" : cur == 8 ? "GBP" : "USD";
      String description =
          r.nextInt(25) == 0
              ? ShopFormats.noise(r, 3_000 + r.nextInt(3_000))
              : ShopFormats.words(r, 40 + r.nextInt(300));
      w.value(skus[i])
          .value(ShopFormats.productTitle(r))
          .value(prices[i])
          .value(currencies[i])
          .value(r.nextInt(10) == 0 ? null : BigDecimal.valueOf(50 + r.nextInt(20_000), 3))
          .value(r.nextInt(20) == 0 ? "N" : "Y")
          .value(r.nextInt(15) == 0 ? null : description)
          .endRow();
      if (w.buffered() > FLUSH_CHARS) {
        done += w.flush();
        progress.onProgress("products", done, n);
      }
    }
    done += w.flush();
    progress.onProgress("products", done, n);
    rows.put("products", done);
    return new Catalog(skus, prices, currencies);
  }

  private List<Customer> loadCustomers(Connection c, Progress progress, Map<String, Long> rows)
      throws SQLException {
    Random r = new Random(seed * 31 + 2);
    int n = sizes.customers();
    List<Customer> customers = new ArrayList<>(n);
    CopyWriter cw =
        new CopyWriter(
            c,
            LegacyShop.qualified("customers"),
            columns(
                "cust_no",
                "full_name",
                "email",
                "phone",
                "vip_flag",
                "status",
                "created_on",
                "deleted_flag",
                "notes",
                "updated_at"));
    CopyWriter aw =
        new CopyWriter(
            c,
            LegacyShop.qualified("addresses"),
            columns(
                "addr_id",
                "cust_no",
                "addr_type",
                "line1",
                "line2",
                "city",
                "zip",
                "country_code"));
    long customersDone = 0;
    long addressesDone = 0;
    int addrId = 0;
    for (int i = 0; i < n; i++) {
      String custNo = ShopFormats.custNo(i + 1);
      String name = ShopFormats.fullName(r);
      LocalDateTime created = between(r, FIRST_DAY, FIRST_ORDER_DAY);
      int st = r.nextInt(20);
      String notes;
      if (i % TOASTED_NOTES_EVERY == 1) {
        notes = ShopFormats.noise(r, 9_000 + r.nextInt(4_000));
      } else if (r.nextInt(5) < 2) {
        notes = ShopFormats.words(r, 20 + r.nextInt(200));
      } else {
        notes = null;
      }
      cw.value(custNo)
          .value(name)
          .value(r.nextInt(10) == 0 ? null : ShopFormats.email(r, name, i + 1))
          .value(r.nextInt(4) == 0 ? null : ShopFormats.phone(r))
          .value(r.nextInt(12) == 0 ? "Y" : "N")
          .value(st < 18 ? "A" : st == 18 ? "S" : "C")
          .value(created.toLocalDate().format(ShopFormats.CREATED_ON))
          .value(r.nextInt(33) == 0 ? "Y" : "N")
          .value(notes)
          .value(Timestamp.valueOf(created.plusDays(r.nextInt(400))))
          .endRow();
      String country = ShopFormats.country(r);
      String ship = null;
      int addressCount = r.nextInt(5) < 2 ? 2 : 1;
      for (int a = 0; a < addressCount; a++) {
        String cc = a == 0 ? country : ShopFormats.country(r);
        String line1 = ShopFormats.street(r);
        String city = ShopFormats.city(r, cc);
        String zip = ShopFormats.zip(r, cc);
        aw.value(++addrId)
            .value(custNo)
            .value(a == 0 ? "B" : "S")
            .value(line1)
            .value(r.nextInt(6) == 0 ? "c/o " + name : null)
            .value(city)
            .value(zip)
            .value(cc)
            .endRow();
        ship = String.join("|", name, line1, city, zip, cc);
      }
      customers.add(new Customer(custNo, name, ship, ShopFormats.currencyOf(country)));
      if (cw.buffered() + aw.buffered() > FLUSH_CHARS) {
        customersDone += cw.flush();
        addressesDone += aw.flush();
        progress.onProgress("customers", customersDone, n);
      }
    }
    customersDone += cw.flush();
    addressesDone += aw.flush();
    progress.onProgress("customers", customersDone, n);
    progress.onProgress("addresses", addressesDone, addressesDone);
    rows.put("customers", customersDone);
    rows.put("addresses", addressesDone);
    return customers;
  }

  private void loadOrders(
      Connection c,
      Progress progress,
      Map<String, Long> rows,
      Catalog catalog,
      List<Customer> customers)
      throws SQLException {
    Random r = new Random(seed * 31 + 3);
    int n = sizes.orders();
    CopyWriter ow =
        new CopyWriter(
            c,
            LegacyShop.qualified("orders"),
            columns(
                "order_ref",
                "cust_no",
                "order_date",
                "status",
                "total_amount",
                "currency",
                "lines_blob",
                "ship_to",
                "deleted_flag",
                "updated_at"));
    CopyWriter pw =
        new CopyWriter(
            c,
            LegacyShop.qualified("payments"),
            columns(
                "payment_id", "order_ref", "amount", "currency", "method", "paid_at", "status"));
    CopyWriter sw =
        new CopyWriter(
            c,
            LegacyShop.qualified("shipments"),
            columns(
                "shipment_no",
                "order_ref",
                "carrier",
                "tracking_code",
                "shipped_on",
                "delivered_flag"));
    long ordersDone = 0;
    long paymentsDone = 0;
    long shipmentsDone = 0;
    long paymentId = 0;
    long shipmentNo = 0;
    String[] methods = {"CC", "CC", "CC", "PP", "PP", "BT"};
    String[] carriers = {"DHL", "UPS", "DPD", "ROYALMAIL", "USPS", "POSTNL"};
    for (int i = 0; i < n; i++) {
      Customer customer = customers.get(r.nextInt(customers.size()));
      LocalDateTime date = between(r, FIRST_ORDER_DAY, LAST_DAY);
      String ref = ShopFormats.orderRef(date.getYear(), i + 1);
      int st = r.nextInt(20);
      String status = st < 2 ? "N" : st < 5 ? "P" : st < 9 ? "S" : st < 19 ? "D" : "X";
      List<Line> lines = lines(r, catalog, customer.currency());
      BigDecimal total = ShopFormats.total(lines);
      ow.value(ref)
          .value(customer.custNo())
          .value(date.format(ShopFormats.ORDER_DATE))
          .value(status)
          .value(total)
          .value(customer.currency())
          .value(ShopFormats.linesBlob(lines))
          .value(r.nextInt(20) == 0 ? null : customer.ship())
          .value(r.nextInt(50) == 0 ? "Y" : "N")
          .value(Timestamp.valueOf(date.plusHours(r.nextInt(24 * 14))))
          .endRow();
      boolean paid = !status.equals("N") && (!status.equals("X") || r.nextInt(3) == 0);
      if (paid) {
        pw.value(++paymentId)
            .value(ref)
            .value(total)
            .value(customer.currency())
            .value(pick(r, methods))
            .value(Timestamp.valueOf(date.plusMinutes(1 + r.nextInt(600))))
            .value(status.equals("X") ? "R" : "A")
            .endRow();
      }
      if (status.equals("S") || status.equals("D")) {
        LocalDate shipped = date.toLocalDate().plusDays(1 + r.nextInt(3));
        sw.value(ShopFormats.shipmentNo(++shipmentNo))
            .value(ref)
            .value(pick(r, carriers))
            .value(r.nextInt(10) == 0 ? null : ShopFormats.noise(r, 14).toUpperCase(Locale.ROOT))
            .value(r.nextInt(25) == 0 ? null : shipped.format(ShopFormats.SHIPPED_ON))
            .value(status.equals("D") ? "Y" : "N")
            .endRow();
      }
      if (ow.buffered() + pw.buffered() + sw.buffered() > FLUSH_CHARS) {
        ordersDone += ow.flush();
        paymentsDone += pw.flush();
        shipmentsDone += sw.flush();
        progress.onProgress("orders", ordersDone, n);
      }
    }
    ordersDone += ow.flush();
    paymentsDone += pw.flush();
    shipmentsDone += sw.flush();
    progress.onProgress("orders", ordersDone, n);
    progress.onProgress("payments", paymentsDone, paymentsDone);
    progress.onProgress("shipments", shipmentsDone, shipmentsDone);
    rows.put("orders", ordersDone);
    rows.put("payments", paymentsDone);
    rows.put("shipments", shipmentsDone);
  }

  /** 1–5 lines of distinct products, priced in the order's currency. */
  private static List<Line> lines(Random r, Catalog catalog, String currency) {
    int count = 1 + r.nextInt(5);
    List<Line> lines = new ArrayList<>(count);
    List<Integer> used = new ArrayList<>(count);
    while (lines.size() < count) {
      int p = r.nextInt(catalog.skus().length);
      if (used.contains(p)) {
        continue;
      }
      used.add(p);
      BigDecimal unit = ShopFormats.convert(catalog.prices()[p], catalog.currencies()[p], currency);
      lines.add(new Line(catalog.skus()[p], 1 + r.nextInt(r.nextInt(8) == 0 ? 20 : 4), unit));
    }
    return lines;
  }

  private static String columns(String... names) {
    StringBuilder sb = new StringBuilder();
    for (String name : names) {
      if (sb.length() > 0) {
        sb.append(", ");
      }
      sb.append(LegacyShop.quote(name));
    }
    return sb.toString();
  }
}
