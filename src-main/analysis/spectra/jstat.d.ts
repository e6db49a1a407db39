/** The part of jStat (npm `jstat`, MIT; CommonJS module exporting the jStat object) that the spectra use. */
declare module 'jstat' {
  interface Density2 {
    pdf(x: number, p1: number, p2: number): number;
  }
  interface JStat {
    gammaln(x: number): number;
    normal: Density2;
    exponential: { pdf(x: number, rate: number): number };
    pareto: Density2;
    studentt: { pdf(x: number, dof: number): number };
    gamma: Density2;
    lognormal: Density2;
    beta: Density2;
    uniform: Density2;
    weibull: Density2;
  }
  const jStat: JStat;
  export default jStat;
}
