/**
 * Issue 11 acceptance 1 at narrow size (800×900: the outbox stacked under the chat) and item 6: by keyboard alone —
 * Tab, Shift+Tab, Enter, arrow keys between the page's tabs, typing; no clicks — with the focus on the bot's new card
 * after every submit. The journeys: ./pageJourneySuite.ts.
 */
import { definePageJourneys } from './pageJourneySuite';

definePageJourneys(800, 'keyboard');
