package ch.randelshofer.fastdoubleparser;

import java.math.BigDecimal;

/** Stand-in for fastdoubleparser 2.0.1 (absent here): delegates to the copy jackson-core 2.22.3 shades. */
public final class JavaBigDecimalParser {
    private JavaBigDecimalParser() {}
    public static BigDecimal parseBigDecimal(CharSequence str) {
        return com.fasterxml.jackson.core.internal.shaded.fdp.v2_22_3.JavaBigDecimalParser.parseBigDecimal(str);
    }
}
