/**
 * Whether `work` settled before `deadlineMs` (epoch ms). Past the deadline it is no longer
 * waited for (nor cancelled): a stop that must end in time abandons what hangs.
 */
export async function within(work: Promise<unknown>, deadlineMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, deadlineMs - Date.now()));
  });
  try {
    return await Promise.race([
      work.then(
        () => true,
        () => true,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
