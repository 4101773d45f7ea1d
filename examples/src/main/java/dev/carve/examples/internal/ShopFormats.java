package dev.carve.examples.internal;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The legacy-shop's key formats, text dates and random values, shared by the data and load
 * generators so both write rows with the same quirks.
 */
public final class ShopFormats {
  /** 'DD.MM.YYYY', the format of {@code customers.created_on}. */
  public static final DateTimeFormatter CREATED_ON =
      DateTimeFormatter.ofPattern("dd.MM.yyyy", Locale.ROOT);

  /** 'YYYY-MM-DD HH24:MI:SS', the format of {@code orders.order_date}. */
  public static final DateTimeFormatter ORDER_DATE =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT);

  /** 'YYYYMMDD', the format of {@code shipments.shipped_on}. */
  public static final DateTimeFormatter SHIPPED_ON =
      DateTimeFormatter.ofPattern("yyyyMMdd", Locale.ROOT);

  /** The currencies amounts are kept in. */
  public static final List<String> CURRENCIES = List.of("EUR", "GBP", "USD");

  private static final String[] FIRST = {
    "Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hugo", "Ida", "Jonas", "Karla",
    "Lukas", "Mia", "Noah", "Olivia", "Paul", "Quentin", "Rosa", "Simon", "Tara", "Ulrich", "Vera",
    "William", "Xenia", "Yusuf", "Zoe", "Chloé", "Jürgen", "Zoë", "Seán"
  };
  private static final String[] MIDDLE = {"Maria", "J.", "Louise", "van", "de", "Anne", "K."};
  private static final String[] LAST = {
    "Müller", "Schmidt", "Dupont", "Martin", "Jansen", "de Vries", "Smith", "Jones", "Brown",
    "Taylor", "Johnson", "Williams", "Weber", "Bernard", "Bakker", "O'Brien", "Fischer", "Moreau",
    "Visser", "Wilson"
  };
  private static final String[] STREETS = {
    "Hauptstraße",
    "Rue de la Paix",
    "Kerkstraat",
    "High Street",
    "Main Street",
    "Bahnhofstraße",
    "Avenue Victor Hugo",
    "Dorpsstraat",
    "Station Road",
    "Oak Avenue"
  };
  private static final String[][] CITIES = {
    {"DE", "Berlin", "Hamburg", "München", "Köln"},
    {"FR", "Paris", "Lyon", "Marseille", "Toulouse"},
    {"NL", "Amsterdam", "Rotterdam", "Utrecht", "Den Haag"},
    {"GB", "London", "Manchester", "Leeds", "Bristol"},
    {"US", "New York", "Chicago", "Austin", "Seattle"}
  };
  private static final String[] ADJECTIVES = {
    "Classic",
    "Deluxe",
    "Compact",
    "Rugged",
    "Vintage",
    "Smart",
    "Organic",
    "Portable",
    "Heavy",
    "Mini"
  };
  private static final String[] NOUNS = {
    "Kettle",
    "Backpack",
    "Lamp",
    "Chair",
    "Headphones",
    "Teapot",
    "Blender",
    "Umbrella",
    "Notebook",
    "Toaster",
    "Mug",
    "Jacket",
    "Bicycle Bell",
    "Speaker",
    "Watch"
  };
  private static final String[] WORDS = {
    "customer",
    "called",
    "about",
    "delivery",
    "prefers",
    "email",
    "invoice",
    "address",
    "changed",
    "discount",
    "agreed",
    "complaint",
    "resolved",
    "call",
    "back",
    "VIP",
    "since",
    "order",
    "late",
    "friendly"
  };
  private static final char[] ALNUM =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".toCharArray();

  private ShopFormats() {}

  /**
   * One line of an order as the monolith keeps it inside {@code orders.lines_blob}.
   *
   * @param sku the product's key
   * @param qty the quantity, at least 1
   * @param unitPrice the price of one unit in the order's currency, two decimals
   */
  public record Line(String sku, int qty, BigDecimal unitPrice) {
    /** qty * unit_price. */
    public BigDecimal amount() {
      return unitPrice.multiply(BigDecimal.valueOf(qty));
    }
  }

  /**
   * The JSON array of {@code orders.lines_blob}: {@code [{"sku":..,"qty":2,"unit_price":"12.50"}]}.
   */
  public static String linesBlob(List<Line> lines) {
    StringBuilder sb = new StringBuilder(lines.size() * 52).append('[');
    for (int i = 0; i < lines.size(); i++) {
      Line l = lines.get(i);
      if (i > 0) {
        sb.append(',');
      }
      sb.append("{\"sku\":\"")
          .append(l.sku())
          .append("\",\"qty\":")
          .append(l.qty())
          .append(",\"unit_price\":\"")
          .append(l.unitPrice().toPlainString())
          .append("\"}");
    }
    return sb.append(']').toString();
  }

  /** The sum of qty * unit_price of the lines, two decimals. */
  public static BigDecimal total(List<Line> lines) {
    BigDecimal total = BigDecimal.ZERO.setScale(2);
    for (Line l : lines) {
      total = total.add(l.amount());
    }
    return total.setScale(2, RoundingMode.HALF_UP);
  }

  /** 'C00000042'. */
  public static String custNo(long n) {
    return String.format(Locale.ROOT, "C%08d", n);
  }

  /** 'ORD-2019-00042'. */
  public static String orderRef(int year, long n) {
    return String.format(Locale.ROOT, "ORD-%d-%05d", year, n);
  }

  /** 'SHP-000042'. */
  public static String shipmentNo(long n) {
    return String.format(Locale.ROOT, "SHP-%06d", n);
  }

  /** 'SKU-00042'. */
  public static String sku(long n) {
    return String.format(Locale.ROOT, "SKU-%05d", n);
  }

  /** The number in a key such as 'C00000042', 'SHP-000042' or 'ORD-2019-00042' (the last part). */
  public static long keyNumber(String key) {
    int i = key.length();
    while (i > 0 && Character.isDigit(key.charAt(i - 1))) {
      i--;
    }
    return i == key.length() ? 0 : Long.parseLong(key.substring(i));
  }

  /** An amount as the monolith stores it: two decimals, half-up. */
  public static BigDecimal money(double value) {
    return BigDecimal.valueOf(value).setScale(2, RoundingMode.HALF_UP);
  }

  /** Converts an amount between the shop's currencies with fixed rates, rounded to cents. */
  public static BigDecimal convert(BigDecimal amount, String from, String to) {
    if (from.equals(to)) {
      return amount;
    }
    BigDecimal eur = amount.divide(rate(from), 6, RoundingMode.HALF_UP);
    return eur.multiply(rate(to)).setScale(2, RoundingMode.HALF_UP);
  }

  private static BigDecimal rate(String currency) {
    return switch (currency) {
      case "EUR" -> BigDecimal.ONE;
      case "GBP" -> new BigDecimal("0.85");
      case "USD" -> new BigDecimal("1.08");
      default -> throw new IllegalArgumentException("Unknown currency '" + currency + "'");
    };
  }

  /** The currency of a country code. */
  public static String currencyOf(String countryCode) {
    return switch (countryCode) {
      case "GB" -> "GBP";
      case "US" -> "USD";
      default -> "EUR";
    };
  }

  /** A full name of two or three words. */
  public static String fullName(Random r) {
    String first = pick(r, FIRST);
    String last = pick(r, LAST);
    return r.nextInt(5) == 0 ? first + " " + pick(r, MIDDLE) + " " + last : first + " " + last;
  }

  /** An e-mail for a name; some are upper case, as a web form of 2012 stored them. */
  public static String email(Random r, String fullName, long n) {
    String local =
        fullName.toLowerCase(Locale.ROOT).replaceAll("[^a-z]+", ".").replaceAll("^\\.|\\.$", "");
    String email =
        local + n + "@" + pick(r, new String[] {"example.com", "mail.test", "shop.test"});
    return r.nextInt(20) == 0 ? email.toUpperCase(Locale.ROOT) : email;
  }

  /** A phone number in one of several formats. */
  public static String phone(Random r) {
    return switch (r.nextInt(3)) {
      case 0 -> String.format(Locale.ROOT, "+49 30 %07d", r.nextInt(10_000_000));
      case 1 -> String.format(Locale.ROOT, "0%d-%06d", 100 + r.nextInt(900), r.nextInt(1_000_000));
      default -> String.format(Locale.ROOT, "(555) %03d-%04d", r.nextInt(1000), r.nextInt(10_000));
    };
  }

  /** A country code the shop ships to. */
  public static String country(Random r) {
    return CITIES[r.nextInt(CITIES.length)][0];
  }

  /** A city of a country. */
  public static String city(Random r, String countryCode) {
    for (String[] c : CITIES) {
      if (c[0].equals(countryCode)) {
        return c[1 + r.nextInt(c.length - 1)];
      }
    }
    throw new IllegalArgumentException("Unknown country '" + countryCode + "'");
  }

  /** A street line. */
  public static String street(Random r) {
    return pick(r, STREETS) + " " + (1 + r.nextInt(200));
  }

  /** A postal code in the country's style. */
  public static String zip(Random r, String countryCode) {
    return switch (countryCode) {
      case "GB" -> String.format(Locale.ROOT, "SW%d %dAB", 1 + r.nextInt(20), r.nextInt(10));
      case "NL" -> String.format(Locale.ROOT, "%04d AB", 1000 + r.nextInt(9000));
      default -> String.format(Locale.ROOT, "%05d", r.nextInt(100_000));
    };
  }

  /** A product title. */
  public static String productTitle(Random r) {
    return pick(r, ADJECTIVES) + " " + pick(r, NOUNS);
  }

  /** Free text of roughly {@code length} characters made of words. */
  public static String words(Random r, int length) {
    StringBuilder sb = new StringBuilder(length + 16);
    while (sb.length() < length) {
      if (sb.length() > 0) {
        sb.append(' ');
      }
      sb.append(pick(r, WORDS));
    }
    return sb.toString();
  }

  /**
   * Poorly compressible text of exactly {@code length} characters, so that PostgreSQL keeps it out
   * of line (TOAST) instead of compressing it inline.
   */
  public static String noise(Random r, int length) {
    char[] c = new char[length];
    for (int i = 0; i < length; i++) {
      c[i] = (i % 80 == 79) ? '\n' : ALNUM[r.nextInt(ALNUM.length)];
    }
    return new String(c);
  }

  /** One element of an array. */
  public static <T> T pick(Random r, T[] values) {
    return values[r.nextInt(values.length)];
  }

  /** A date-time between two dates (inclusive of the first, exclusive of the second). */
  public static LocalDateTime between(Random r, LocalDate from, LocalDate to) {
    long seconds = (to.toEpochDay() - from.toEpochDay()) * 86_400L;
    return from.atStartOfDay().plusSeconds((long) (r.nextDouble() * seconds));
  }
}
