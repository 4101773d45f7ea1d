package dev.carve.examples.internal;

import dev.carve.examples.LegacyShop;
import dev.carve.examples.LoadGenerator.Kind;
import dev.carve.examples.internal.ShopFormats.Line;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * The changes of the load generator, applied one transaction at a time on one connection. Keeps in
 * memory which keys exist, so every change refers to live rows.
 */
public final class ShopChanges {
  private static final String[] METHODS = {"CC", "CC", "PP", "BT"};
  private static final String[] CARRIERS = {"DHL", "UPS", "DPD", "ROYALMAIL", "USPS", "POSTNL"};

  private final Connection c;
  private final Random r;
  private final boolean multiTable;
  private final List<String> skus = new ArrayList<>();
  private final List<BigDecimal> prices = new ArrayList<>();
  private final List<String> productCurrencies = new ArrayList<>();
  private final Bag<Customer> customers = new Bag<>();
  private final Bag<String> toastedCustomers = new Bag<>();
  private final Map<String, Bag<Order>> ordersByStatus = new HashMap<>();
  private long nextCustNo;
  private long nextOrderNo;
  private long nextPaymentId;
  private long nextShipmentNo;
  private long nextAddrId;
  private LocalDateTime clock = LocalDateTime.of(2025, 1, 1, 8, 0);

  private record Customer(String custNo, String name, String currency) {}

  private static final class Order {
    private String ref;
    private final String custNo;
    private final String currency;
    private final BigDecimal total;
    private String status;

    private Order(String ref, String custNo, String currency, BigDecimal total, String status) {
      this.ref = ref;
      this.custNo = custNo;
      this.currency = currency;
      this.total = total;
      this.status = status;
    }
  }

  private ShopChanges(Connection c, long seed, boolean multiTable) {
    this.c = c;
    this.r = new Random(seed);
    this.multiTable = multiTable;
    for (String s : List.of("N", "P", "S", "D", "X")) {
      ordersByStatus.put(s, new Bag<>());
    }
  }

  /**
   * Reads the live keys of the database and prepares to change it.
   *
   * @param connection used for every change; its auto-commit is switched off
   * @throws IllegalStateException when the database has no customers or products
   */
  public static ShopChanges load(Connection connection, long seed, boolean multiTable)
      throws SQLException {
    ShopChanges changes = new ShopChanges(connection, seed, multiTable);
    connection.setAutoCommit(true);
    changes.readState();
    connection.setAutoCommit(false);
    return changes;
  }

  private void readState() throws SQLException {
    try (Statement s = c.createStatement()) {
      try (ResultSet rs =
          s.executeQuery(
              "SELECT sku, price, currency FROM "
                  + LegacyShop.qualified("products")
                  + " ORDER BY sku")) {
        while (rs.next()) {
          skus.add(rs.getString(1));
          prices.add(rs.getBigDecimal(2));
          productCurrencies.add(rs.getString(3));
        }
      }
      try (ResultSet rs =
          s.executeQuery(
              "SELECT c.cust_no, c.full_name, c.deleted_flag, octet_length(c.notes) > 8000,"
                  + " (SELECT a.country_code FROM "
                  + LegacyShop.qualified("addresses")
                  + " a WHERE a.cust_no = c.cust_no ORDER BY a.addr_id LIMIT 1) FROM "
                  + LegacyShop.qualified("customers")
                  + " c ORDER BY c.cust_no")) {
        while (rs.next()) {
          String custNo = rs.getString(1);
          nextCustNo = Math.max(nextCustNo, ShopFormats.keyNumber(custNo) + 1);
          if (rs.getString(3).equals("N")) {
            String cc = rs.getString(5);
            customers.add(
                new Customer(
                    custNo, rs.getString(2), ShopFormats.currencyOf(cc == null ? "DE" : cc)));
            if (rs.getBoolean(4)) {
              toastedCustomers.add(custNo);
            }
          }
        }
      }
      try (ResultSet rs =
          s.executeQuery(
              "SELECT order_ref, cust_no, currency, total_amount, status, deleted_flag FROM "
                  + LegacyShop.qualified("orders")
                  + " ORDER BY order_ref")) {
        while (rs.next()) {
          String ref = rs.getString(1);
          nextOrderNo = Math.max(nextOrderNo, ShopFormats.keyNumber(ref) + 1);
          Bag<Order> bag = ordersByStatus.get(rs.getString(5));
          if (rs.getString(6).equals("N") && bag != null) {
            bag.add(
                new Order(
                    ref, rs.getString(2), rs.getString(3), rs.getBigDecimal(4), rs.getString(5)));
          }
        }
      }
      nextPaymentId = max(s, "SELECT max(payment_id) FROM " + LegacyShop.qualified("payments")) + 1;
      nextAddrId = max(s, "SELECT max(addr_id) FROM " + LegacyShop.qualified("addresses")) + 1;
      try (ResultSet rs =
          s.executeQuery("SELECT shipment_no FROM " + LegacyShop.qualified("shipments"))) {
        while (rs.next()) {
          nextShipmentNo = Math.max(nextShipmentNo, ShopFormats.keyNumber(rs.getString(1)) + 1);
        }
      }
    }
    nextCustNo = Math.max(nextCustNo, 1);
    nextOrderNo = Math.max(nextOrderNo, 1);
    nextShipmentNo = Math.max(nextShipmentNo, 1);
    if (skus.isEmpty() || customers.size() == 0) {
      throw new IllegalStateException(
          "The legacy-shop database has no products or no live customers; load it with"
              + " DataGenerator first");
    }
  }

  private static long max(Statement s, String sql) throws SQLException {
    try (ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /**
   * Applies the next change of the mix in one transaction.
   *
   * @return its kind
   * @throws SQLException when the change fails (it is rolled back first)
   */
  public Kind applyNext() throws SQLException {
    clock = clock.plusSeconds(1 + r.nextInt(30));
    int dice = r.nextInt(100);
    try {
      Kind kind = apply(dice);
      c.commit();
      return kind;
    } catch (SQLException | RuntimeException e) {
      c.rollback();
      throw e;
    }
  }

  /**
   * Inserts {@code count} new orders in one transaction, as a batch job of the monolith would.
   *
   * @return the number of orders inserted
   * @throws SQLException when the transaction fails (it is rolled back first)
   */
  public int applyBulk(int count) throws SQLException {
    clock = clock.plusSeconds(1);
    List<Order> added = new ArrayList<>(count);
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO "
                + LegacyShop.qualified("orders")
                + " (order_ref, cust_no, order_date, status, total_amount, currency, lines_blob,"
                + " ship_to, deleted_flag, updated_at) VALUES (?, ?, ?, 'N', ?, ?, ?, ?, 'N', ?)")) {
      for (int i = 0; i < count; i++) {
        Customer customer = customers.pick(r);
        List<Line> lines = lines(customer.currency());
        Order order =
            new Order(
                ShopFormats.orderRef(clock.getYear(), nextOrderNo++),
                customer.custNo(),
                customer.currency(),
                ShopFormats.total(lines),
                "N");
        ps.setString(1, order.ref);
        ps.setString(2, order.custNo);
        ps.setString(3, clock.format(ShopFormats.ORDER_DATE));
        ps.setBigDecimal(4, order.total);
        ps.setString(5, order.currency);
        ps.setString(6, ShopFormats.linesBlob(lines));
        ps.setString(
            7,
            String.join(
                "|",
                customer.name(),
                ShopFormats.street(r),
                "Berlin",
                ShopFormats.zip(r, "DE"),
                "DE"));
        ps.setTimestamp(8, Timestamp.valueOf(clock));
        ps.addBatch();
        added.add(order);
        if (added.size() % 1_000 == 0) {
          ps.executeBatch();
        }
      }
      ps.executeBatch();
      c.commit();
    } catch (SQLException | RuntimeException e) {
      c.rollback();
      throw e;
    }
    for (Order o : added) {
      bucket("N").add(o);
    }
    return added.size();
  }

  private Kind apply(int dice) throws SQLException {
    if (dice < 8) {
      return newCustomer();
    } else if (dice < 30) {
      return newOrder();
    } else if (dice < 40) {
      return bucket("N").size() > 0 ? payOrder() : newOrder();
    } else if (dice < 50) {
      return bucket("P").size() > 0 ? shipOrder() : repriceProduct();
    } else if (dice < 60) {
      return repriceProduct();
    } else if (dice < 70) {
      return bucket("S").size() > 0 ? deliverOrder() : repriceProduct();
    } else if (dice < 85) {
      return toastedCustomers.size() > 0 ? changeContact() : repriceProduct();
    } else if (dice < 88) {
      return liveOrders() > 0 ? rekeyOrder() : newOrder();
    } else if (dice < 95) {
      return softDelete();
    } else {
      return liveOrders() > 1 ? hardDelete() : newOrder();
    }
  }

  private Kind newCustomer() throws SQLException {
    String custNo = ShopFormats.custNo(nextCustNo++);
    String name = ShopFormats.fullName(r);
    String cc = ShopFormats.country(r);
    boolean toasted = r.nextInt(10) == 0;
    update(
        "INSERT INTO "
            + LegacyShop.qualified("customers")
            + " (cust_no, full_name, email, phone, vip_flag, status, created_on, deleted_flag,"
            + " notes, updated_at) VALUES (?, ?, ?, ?, 'N', 'A', ?, 'N', ?, ?)",
        custNo,
        name,
        ShopFormats.email(r, name, ShopFormats.keyNumber(custNo)),
        ShopFormats.phone(r),
        clock.toLocalDate().format(ShopFormats.CREATED_ON),
        toasted ? ShopFormats.noise(r, 9_000) : null,
        Timestamp.valueOf(clock));
    update(
        "INSERT INTO "
            + LegacyShop.qualified("addresses")
            + " (addr_id, cust_no, addr_type, line1, line2, city, zip, country_code)"
            + " VALUES (?, ?, 'B', ?, NULL, ?, ?, ?)",
        (int) nextAddrId++,
        custNo,
        ShopFormats.street(r),
        ShopFormats.city(r, cc),
        ShopFormats.zip(r, cc),
        cc);
    customers.add(new Customer(custNo, name, ShopFormats.currencyOf(cc)));
    if (toasted) {
      toastedCustomers.add(custNo);
    }
    return Kind.INSERT;
  }

  private Kind newOrder() throws SQLException {
    Customer customer = customers.pick(r);
    List<Line> lines = lines(customer.currency());
    BigDecimal total = ShopFormats.total(lines);
    boolean withPayment = multiTable && r.nextInt(3) == 0;
    Order order =
        new Order(
            ShopFormats.orderRef(clock.getYear(), nextOrderNo++),
            customer.custNo(),
            customer.currency(),
            total,
            withPayment ? "P" : "N");
    update(
        "INSERT INTO "
            + LegacyShop.qualified("orders")
            + " (order_ref, cust_no, order_date, status, total_amount, currency, lines_blob,"
            + " ship_to, deleted_flag, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'N', ?)",
        order.ref,
        order.custNo,
        clock.format(ShopFormats.ORDER_DATE),
        order.status,
        total,
        order.currency,
        ShopFormats.linesBlob(lines),
        String.join(
            "|", customer.name(), ShopFormats.street(r), "Berlin", ShopFormats.zip(r, "DE"), "DE"),
        Timestamp.valueOf(clock));
    if (withPayment) {
      insertPayment(order);
    }
    bucket(order.status).add(order);
    return Kind.INSERT;
  }

  private Kind payOrder() throws SQLException {
    Order order = bucket("N").removeRandom(r);
    insertPayment(order);
    setStatus(order, "P");
    return Kind.INSERT;
  }

  private void insertPayment(Order order) throws SQLException {
    update(
        "INSERT INTO "
            + LegacyShop.qualified("payments")
            + " (payment_id, order_ref, amount, currency, method, paid_at, status)"
            + " VALUES (?, ?, ?, ?, ?, ?, 'A')",
        nextPaymentId++,
        order.ref,
        order.total,
        order.currency,
        ShopFormats.pick(r, METHODS),
        Timestamp.valueOf(clock));
  }

  private Kind shipOrder() throws SQLException {
    Order order = bucket("P").removeRandom(r);
    update(
        "INSERT INTO "
            + LegacyShop.qualified("shipments")
            + " (shipment_no, order_ref, carrier, tracking_code, shipped_on, delivered_flag)"
            + " VALUES (?, ?, ?, ?, ?, 'N')",
        ShopFormats.shipmentNo(nextShipmentNo++),
        order.ref,
        ShopFormats.pick(r, CARRIERS),
        ShopFormats.noise(r, 14).toUpperCase(Locale.ROOT),
        clock.toLocalDate().format(ShopFormats.SHIPPED_ON));
    setStatus(order, "S");
    return Kind.UPDATE;
  }

  private Kind deliverOrder() throws SQLException {
    Order order = bucket("S").removeRandom(r);
    // Only the status column changes: the case of an update that touches one non-key column.
    update(
        "UPDATE " + LegacyShop.qualified("orders") + " SET status = 'D' WHERE order_ref = ?",
        order.ref);
    order.status = "D";
    bucket("D").add(order);
    return Kind.UPDATE;
  }

  private void setStatus(Order order, String status) throws SQLException {
    update(
        "UPDATE "
            + LegacyShop.qualified("orders")
            + " SET status = ?, updated_at = ? WHERE order_ref = ?",
        status,
        Timestamp.valueOf(clock),
        order.ref);
    order.status = status;
    bucket(status).add(order);
  }

  private Kind repriceProduct() throws SQLException {
    int p = r.nextInt(skus.size());
    BigDecimal price = ShopFormats.money(0.99 + r.nextInt(25_000) / 100.0);
    prices.set(p, price);
    update(
        "UPDATE " + LegacyShop.qualified("products") + " SET price = ? WHERE sku = ?",
        price,
        skus.get(p));
    return Kind.UPDATE;
  }

  private Kind changeContact() throws SQLException {
    String custNo = toastedCustomers.pick(r);
    update(
        "UPDATE "
            + LegacyShop.qualified("customers")
            + " SET phone = ?, vip_flag = ?, updated_at = ? WHERE cust_no = ?",
        ShopFormats.phone(r),
        r.nextInt(4) == 0 ? "Y" : "N",
        Timestamp.valueOf(clock),
        custNo);
    return Kind.TOASTED_TABLE_UPDATE;
  }

  private Kind rekeyOrder() throws SQLException {
    Order order = pickLiveOrder();
    String oldRef = order.ref;
    String newRef = ShopFormats.orderRef(Integer.parseInt(oldRef.substring(4, 8)), nextOrderNo++);
    update(
        "UPDATE " + LegacyShop.qualified("orders") + " SET order_ref = ? WHERE order_ref = ?",
        newRef,
        oldRef);
    update(
        "UPDATE " + LegacyShop.qualified("payments") + " SET order_ref = ? WHERE order_ref = ?",
        newRef,
        oldRef);
    update(
        "UPDATE " + LegacyShop.qualified("shipments") + " SET order_ref = ? WHERE order_ref = ?",
        newRef,
        oldRef);
    order.ref = newRef;
    return Kind.KEY_CHANGE;
  }

  private Kind softDelete() throws SQLException {
    if (r.nextInt(4) == 0 && customers.size() > 1) {
      Customer customer = customers.removeRandom(r);
      toastedCustomers.remove(customer.custNo());
      update(
          "UPDATE "
              + LegacyShop.qualified("customers")
              + " SET deleted_flag = 'Y', updated_at = ? WHERE cust_no = ?",
          Timestamp.valueOf(clock),
          customer.custNo());
      return Kind.SOFT_DELETE;
    }
    if (liveOrders() == 0) {
      return newOrder();
    }
    Order order = removeLiveOrder();
    update(
        "UPDATE "
            + LegacyShop.qualified("orders")
            + " SET deleted_flag = 'Y', updated_at = ? WHERE order_ref = ?",
        Timestamp.valueOf(clock),
        order.ref);
    return Kind.SOFT_DELETE;
  }

  private Kind hardDelete() throws SQLException {
    Order order = removeLiveOrder();
    update("DELETE FROM " + LegacyShop.qualified("shipments") + " WHERE order_ref = ?", order.ref);
    update("DELETE FROM " + LegacyShop.qualified("payments") + " WHERE order_ref = ?", order.ref);
    update("DELETE FROM " + LegacyShop.qualified("orders") + " WHERE order_ref = ?", order.ref);
    return Kind.HARD_DELETE;
  }

  private List<Line> lines(String currency) {
    int count = 1 + r.nextInt(5);
    List<Line> lines = new ArrayList<>(count);
    List<Integer> used = new ArrayList<>(count);
    while (lines.size() < Math.min(count, skus.size())) {
      int p = r.nextInt(skus.size());
      if (used.contains(p)) {
        continue;
      }
      used.add(p);
      lines.add(
          new Line(
              skus.get(p),
              1 + r.nextInt(4),
              ShopFormats.convert(prices.get(p), productCurrencies.get(p), currency)));
    }
    return lines;
  }

  private Bag<Order> bucket(String status) {
    return ordersByStatus.get(status);
  }

  private int liveOrders() {
    int n = 0;
    for (Bag<Order> b : ordersByStatus.values()) {
      n += b.size();
    }
    return n;
  }

  private Order pickLiveOrder() {
    return liveOrderBag(r.nextInt(liveOrders())).pick(r);
  }

  private Order removeLiveOrder() {
    return liveOrderBag(r.nextInt(liveOrders())).removeRandom(r);
  }

  private Bag<Order> liveOrderBag(int index) {
    for (String s : List.of("N", "P", "S", "D", "X")) {
      Bag<Order> b = bucket(s);
      if (index < b.size()) {
        return b;
      }
      index -= b.size();
    }
    throw new IllegalStateException("no live order at index " + index);
  }

  private int update(String sql, Object... values) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < values.length; i++) {
        ps.setObject(i + 1, values[i]);
      }
      return ps.executeUpdate();
    } catch (SQLException e) {
      throw new SQLException(
          "Load change failed: "
              + sql
              + " with "
              + java.util.Arrays.toString(values)
              + ": "
              + e.getMessage(),
          e.getSQLState(),
          e);
    }
  }

  private static String shorten(Object[] values) {
    List<String> shown = new ArrayList<>();
    for (Object v : values) {
      String s = String.valueOf(v);
      shown.add(s.length() > 40 ? s.substring(0, 40) + "..." : s);
    }
    return shown.toString();
  }

  /** A list with O(1) random pick and removal (order is not kept). */
  private static final class Bag<T> {
    private final List<T> items = new ArrayList<>();

    void add(T item) {
      items.add(item);
    }

    int size() {
      return items.size();
    }

    T pick(Random r) {
      return items.get(r.nextInt(items.size()));
    }

    T removeRandom(Random r) {
      int i = r.nextInt(items.size());
      T item = items.get(i);
      T last = items.remove(items.size() - 1);
      if (i < items.size()) {
        items.set(i, last);
      }
      return item;
    }

    void remove(T item) {
      int i = items.indexOf(item);
      if (i >= 0) {
        T last = items.remove(items.size() - 1);
        if (i < items.size()) {
          items.set(i, last);
        }
      }
    }
  }
}
